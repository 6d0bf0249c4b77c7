## Interface web d'Atalaya — français

app-name = Atalaya
skip-to-content = Aller au contenu principal
nav-main = Navigation principale
nav-dashboard = Tableau de bord
nav-intel = Renseignement
nav-import = Importer
nav-incidents = Incidents
nav-directory = Annuaire
nav-peers = Nœuds fédérés
nav-audit = Journal d'audit
nav-evidence = Preuves
language = Langue
language-apply = Changer de langue
signed-in-as = Connecté en tant que { $user } ({ $role }), { $org }
logout = Se déconnecter
footer-node = Nœud { $name } · empreinte de la clé { $fingerprint }

login-title = Connexion
login-username = Nom d'utilisateur
login-password = Mot de passe
login-submit = Se connecter
login-failed = Nom d'utilisateur ou mot de passe incorrect.
login-throttled = Trop de tentatives échouées. Réessayez dans quelques minutes.
session-expired = Veuillez vous connecter pour continuer.

error-title = Une erreur s'est produite
error-not-found = Introuvable, ou non partagé avec vous.
error-forbidden = Votre rôle ne permet pas cette action.
error-csrf = Ce formulaire a expiré ou ne provient pas de ce site. Rechargez la page et réessayez.
error-invalid = Valeur non valide dans « { $field } » : { $reason }
error-conflict = Impossible (« { $field } ») : { $reason }
error-internal = Erreur interne. Les administrateurs du nœud trouvent les détails dans le journal du serveur.
error-unavailable = La base de données n'est pas disponible pour le moment. Réessayez bientôt.
back = Retour

dash-title = Tableau de bord
dash-cases = { $count ->
    [one] { $n } dossier
   *[other] { $n } dossiers
}
dash-exercises-excluded = { $count ->
    [0] Dossiers d'exercice : aucun.
    [one] { $n } dossier d'exercice non compté.
   *[other] { $n } dossiers d'exercice non comptés.
}
dash-by-state = Dossiers par État
dash-by-sector = Dossiers par secteur
dash-over-time = Dossiers ouverts par semaine (12 dernières semaines)
dash-map = États touchés
dash-map-desc = Carte en tuiles des 35 États membres de l'OEA ; plus la tuile est foncée, plus il y a de dossiers.
dash-map-legend = Nombre de dossiers
col-state = État
col-cases = Dossiers
col-sector = Secteur
col-acknowledged = Accusés
col-mitigated = Atténués
col-mean-ack = Délai moyen d'accusé de réception
col-week = Semaine du
no-data = Pas encore de données.

intel-title = Renseignement
intel-search-label = Texte, ou une valeur exacte (adresse IP, réseau, domaine, empreinte)
intel-search-submit = Rechercher
intel-results = { $count ->
    [one] { $n } résultat
   *[other] { $n } résultats
}
intel-value-matches = Objets contenant cette valeur, ses réseaux ou ses domaines
intel-no-results = Aucun résultat.
intel-import-title = Importer un paquet STIX 2.1
intel-import-file = Fichier de paquet ou de lignes JSON
intel-import-help = STIX 2.1 uniquement ; chaque objet est vérifié selon la spécification. Diffusion : le réseau, dans les limites du TLP de chaque objet.
intel-import-submit = Importer
intel-import-report = Rapport d'importation
intel-import-empty = Le fichier ne contient aucun objet.
intel-import-malformed = Le fichier n'est pas du JSON valide : { $reason }
intel-uploading = Envoi et vérification…
intel-stored = Nouveaux objets
intel-updated = Nouvelles versions
intel-skipped = Déjà présents
intel-rejected = Rejetés
intel-warnings = Avertissements
intel-warninglist-hits = Correspondances dans les listes d'avertissement
intel-correlations = Corrélations
intel-sightings = Observations
intel-sightings-total = { $count ->
    [one] { $n } observation
   *[other] { $n } observations
}
intel-first-seen = Vu pour la première fois
intel-last-seen = Vu pour la dernière fois
intel-decay = Score de validité
intel-object = Objet
intel-versions = { $count ->
    [one] { $n } version
   *[other] { $n } versions
}
intel-frequent = Vu très souvent : { $value } ({ $n } objets)
col-type = Type
col-name = Nom
col-id = Identifiant
col-added = Ajouté
col-value = Valeur
col-list = Liste
col-organisation = Organisation
col-relation = Relation
col-tlp = TLP
col-when = Quand
col-who = Qui
col-what = Quoi
col-status = Statut
col-severity = Gravité
col-title = Titre
col-phase = Phase
col-reason = Motif
col-field = Champ
col-object = Objet
col-source = Source
col-done = Faite
col-due = Échéance
revoked = révoqué

inc-title = Dossiers d'incident
inc-new = Ouvrir un nouveau dossier
inc-create = Ouvrir le dossier
inc-field-title = Titre
inc-field-description = Description
inc-field-class = Classe RSIT
inc-field-type = Type RSIT (p. ex. phishing, ddos, malware-distribution)
inc-field-severity = Gravité
inc-field-tlp = TLP
inc-field-states = États touchés (codes ISO, séparés par des virgules)
inc-field-observables = Observables, un par ligne (adresse IP, réseau, domaine, URL, adresse e-mail, numéro d'AS)
inc-field-sectors = Secteurs (séparés par des virgules)
inc-field-exercise = Exercice (jamais envoyé à de vrais contacts)
inc-exercise = EXERCICE
inc-reported-by = Signalé par { $state }
inc-timeline = Chronologie
inc-tasks = Tâches
inc-no-tasks = Aucune tâche.
inc-participants = États participants
inc-no-participants = Aucun État n'a encore été notifié.
inc-routing = Acheminement
inc-route = Proposer des destinataires
inc-notify-routed = Notifier les organisations proposées
inc-proposed = Destinataires proposés
inc-reasoning = Raisonnement
inc-unrouted = { $count ->
    [0] Tous les observables ont été acheminés.
    [one] { $n } observable n'a pas pu être acheminé.
   *[other] { $n } observables n'ont pas pu être acheminés.
}
inc-no-csirt = États sans CSIRT national dans l'annuaire : { $states }
inc-ip-data-missing = Ce nœud n'a pas de données IP-pays ; l'acheminement n'utilise que les périmètres déclarés.
inc-status-change = Notre statut dans ce dossier
inc-status-new = Nouveau statut
inc-status-reason = Motif (obligatoire pour refuser)
inc-status-submit = Changer le statut
inc-observables = Observables
inc-ack-due = accuser réception avant le { $when }
inc-update-due = première mise à jour avant le { $when }
inc-escalated = escaladé le { $when }
inc-none = Aucun dossier.
inc-all = Tous les dossiers
inc-participants-count = { $count ->
    [0] aucun participant
    [one] { $n } participant
   *[other] { $n } participants
}
inc-note = Ajouter à la chronologie
inc-note-submit = Ajouter
inc-created = Dossier ouvert.
inc-status-changed = Statut modifié.
inc-notified = Organisations notifiées.
status-notified = notifié
status-acknowledged = accusé
status-investigating = en cours d'enquête
status-mitigated = atténué
status-closed = clos
status-declined = refusé
phase-detection = détection
phase-analysis = analyse
phase-escalation = escalade
phase-response = réponse
phase-recovery = rétablissement
severity-0 = 0 information
severity-1 = 1 faible
severity-2 = 2 moyenne
severity-3 = 3 élevée
severity-4 = 4 critique

dir-title = Annuaire
dir-contacts = Points de contact
dir-no-contacts = Aucun contact partagé avec vous.
dir-constituency = Périmètre
dir-history = Historique
dir-kind = Type
dir-country = Pays
dir-fingerprint = Empreinte de la clé OpenPGP
dir-email = Courriel
dir-phone = Téléphone
dir-emergency-phone = Téléphone d'urgence
dir-roles = Rôles
dir-prefixes = Réseaux
dir-asns = Numéros d'AS
dir-domains = Domaines
dir-sectors = Secteurs
dir-hours = Heures d'ouverture
dir-timezone = Fuseau horaire
dir-version = Version
dir-home = ce nœud

peers-title = Nœuds fédérés
peers-state = État de la relation
peers-lag = Retard (éléments)
peers-last-contact = Dernier contact
peers-last-error = Dernière erreur
peers-none = Aucun nœud fédéré.
peers-relay = relais

audit-title = Journal d'audit
audit-chain-ok = { $count ->
    [one] Chaîne de hachage vérifiée : { $n } entrée, intacte.
   *[other] Chaîne de hachage vérifiée : { $n } entrées, intactes.
}
audit-chain-bad = Chaîne de hachage ROMPUE à l'entrée { $seq } : { $problem }
audit-older = Entrées plus anciennes
audit-newest = Entrées les plus récentes

ev-title = Preuves
ev-custody = Chaîne de conservation
ev-intact = Contenu intact : le SHA-256 correspond.
ev-not-intact = CONTENU MODIFIÉ : le SHA-256 ne correspond plus.
ev-custodian = Dépositaire
ev-restricted = réservé aux services répressifs
ev-case = Référence du dossier
ev-size = Taille
ev-none = Aucune preuve enregistrée.
ev-description = Description
ev-hash-ok = empreinte vérifiée
ev-hash-bad = empreinte différente

duration-seconds = { $n } s
duration-minutes = { $n } min
duration-hours = { $n } h
duration-days = { $n } jours

date-time = { $day } { $month } { $year }, { $time } UTC
date-short = { $day } { $month }
month-1 = janvier
month-2 = février
month-3 = mars
month-4 = avril
month-5 = mai
month-6 = juin
month-7 = juillet
month-8 = août
month-9 = septembre
month-10 = octobre
month-11 = novembre
month-12 = décembre
month-short-1 = janv.
month-short-2 = févr.
month-short-3 = mars
month-short-4 = avr.
month-short-5 = mai
month-short-6 = juin
month-short-7 = juil.
month-short-8 = août
month-short-9 = sept.
month-short-10 = oct.
month-short-11 = nov.
month-short-12 = déc.
