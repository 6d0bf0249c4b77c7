## Interfaz web de Atalaya — español

app-name = Atalaya
skip-to-content = Saltar al contenido principal
nav-main = Navegación principal
nav-dashboard = Panel
nav-intel = Inteligencia
nav-import = Importar
nav-incidents = Incidentes
nav-directory = Directorio
nav-peers = Nodos federados
nav-audit = Registro de auditoría
nav-evidence = Evidencias
language = Idioma
language-apply = Cambiar idioma
signed-in-as = Sesión de { $user } ({ $role }), { $org }
logout = Cerrar sesión
footer-node = Nodo { $name } · huella de la clave { $fingerprint }

login-title = Iniciar sesión
login-username = Nombre de usuario
login-password = Contraseña
login-submit = Entrar
login-failed = Usuario o contraseña incorrectos.
login-throttled = Demasiados intentos fallidos. Vuelva a intentarlo en unos minutos.
session-expired = Inicie sesión para continuar.

error-title = Algo salió mal
error-not-found = No existe o no se ha compartido con usted.
error-forbidden = Su rol no permite esta acción.
error-csrf = Este formulario ha caducado o no proviene de este sitio. Recargue la página e inténtelo de nuevo.
error-invalid = Valor no válido en «{ $field }»: { $reason }
error-conflict = No es posible («{ $field }»): { $reason }
error-internal = Error interno. Los administradores del nodo encontrarán los detalles en el registro del servidor.
error-unavailable = La base de datos no está disponible en este momento. Inténtelo de nuevo en breve.
back = Volver

dash-title = Panel
dash-cases = { $count ->
    [one] { $n } caso
   *[other] { $n } casos
}
dash-exercises-excluded = { $count ->
    [0] Casos de ejercicio: ninguno.
    [one] { $n } caso de ejercicio no contabilizado.
   *[other] { $n } casos de ejercicio no contabilizados.
}
dash-by-state = Casos por Estado
dash-by-sector = Casos por sector
dash-over-time = Casos abiertos por semana (últimas 12 semanas)
dash-map = Estados afectados
dash-map-desc = Mapa de mosaicos de los 35 Estados miembros de la OEA; cuanto más oscuro, más casos.
dash-map-legend = Número de casos
col-state = Estado
col-cases = Casos
col-sector = Sector
col-acknowledged = Acusados
col-mitigated = Mitigados
col-mean-ack = Tiempo medio de acuse
col-week = Semana del
no-data = Todavía no hay datos.

intel-title = Inteligencia
intel-search-label = Texto, o un valor exacto (dirección IP, red, dominio, hash)
intel-search-submit = Buscar
intel-results = { $count ->
    [one] { $n } resultado
   *[other] { $n } resultados
}
intel-value-matches = Objetos que contienen este valor, sus redes o sus dominios
intel-no-results = No se encontró nada.
intel-import-title = Importar un paquete STIX 2.1
intel-import-file = Archivo de paquete o de líneas JSON
intel-import-help = Solo STIX 2.1; cada objeto se verifica según la especificación. Distribución: la red, dentro del TLP de cada objeto.
intel-import-submit = Importar
intel-import-report = Informe de importación
intel-import-empty = El archivo no contiene objetos.
intel-import-malformed = El archivo no es JSON válido: { $reason }
intel-uploading = Subiendo y verificando…
intel-stored = Objetos nuevos
intel-updated = Versiones nuevas
intel-skipped = Ya presentes
intel-rejected = Rechazados
intel-warnings = Advertencias
intel-warninglist-hits = Coincidencias en listas de advertencia
intel-correlations = Correlaciones
intel-sightings = Avistamientos
intel-sightings-total = { $count ->
    [one] { $n } avistamiento
   *[other] { $n } avistamientos
}
intel-first-seen = Visto por primera vez
intel-last-seen = Visto por última vez
intel-decay = Puntuación de vigencia
intel-object = Objeto
intel-versions = { $count ->
    [one] { $n } versión
   *[other] { $n } versiones
}
intel-frequent = Visto con mucha frecuencia: { $value } ({ $n } objetos)
col-type = Tipo
col-name = Nombre
col-id = Identificador
col-added = Añadido
col-value = Valor
col-list = Lista
col-organisation = Organización
col-relation = Relación
col-tlp = TLP
col-when = Cuándo
col-who = Quién
col-what = Qué
col-status = Estado de participación
col-severity = Gravedad
col-title = Título
col-phase = Fase
col-reason = Motivo
col-field = Campo
col-object = Objeto
col-source = Origen
col-done = Hecha
col-due = Vence
revoked = revocado

inc-title = Casos de incidentes
inc-new = Abrir un caso nuevo
inc-create = Abrir el caso
inc-field-title = Título
inc-field-description = Descripción
inc-field-class = Clase RSIT
inc-field-type = Tipo RSIT (p. ej. phishing, ddos, malware-distribution)
inc-field-severity = Gravedad
inc-field-tlp = TLP
inc-field-states = Estados afectados (códigos ISO, separados por comas)
inc-field-observables = Observables, uno por línea (dirección IP, red, dominio, URL, correo electrónico, número de AS)
inc-field-sectors = Sectores (separados por comas)
inc-field-exercise = Ejercicio (nunca se envía a contactos reales)
inc-exercise = EJERCICIO
inc-reported-by = Notificado por { $state }
inc-timeline = Cronología
inc-tasks = Tareas
inc-no-tasks = No hay tareas.
inc-participants = Estados participantes
inc-no-participants = Todavía no se ha notificado a ningún Estado.
inc-routing = Enrutamiento
inc-route = Proponer destinatarios
inc-notify-routed = Notificar a las organizaciones propuestas
inc-proposed = Destinatarios propuestos
inc-reasoning = Razonamiento
inc-unrouted = { $count ->
    [0] Todos los observables fueron enrutados.
    [one] { $n } observable no pudo enrutarse.
   *[other] { $n } observables no pudieron enrutarse.
}
inc-no-csirt = Estados sin CSIRT nacional en el directorio: { $states }
inc-ip-data-missing = Este nodo no tiene datos de IP a país; el enrutamiento usa solo las comunidades declaradas.
inc-status-change = Nuestro estado en este caso
inc-status-new = Nuevo estado
inc-status-reason = Motivo (obligatorio para rechazar)
inc-status-submit = Cambiar estado
inc-observables = Observables
inc-ack-due = acusar antes del { $when }
inc-update-due = primera actualización antes del { $when }
inc-escalated = escalado el { $when }
inc-none = No hay casos.
inc-all = Todos los casos
inc-participants-count = { $count ->
    [0] sin participantes
    [one] { $n } participante
   *[other] { $n } participantes
}
inc-note = Añadir a la cronología
inc-note-submit = Añadir
inc-created = Caso abierto.
inc-status-changed = Estado cambiado.
inc-notified = Organizaciones notificadas.
status-notified = notificado
status-acknowledged = acusado
status-investigating = investigando
status-mitigated = mitigado
status-closed = cerrado
status-declined = rechazado
phase-detection = detección
phase-analysis = análisis
phase-escalation = escalamiento
phase-response = respuesta
phase-recovery = recuperación
severity-0 = 0 informativa
severity-1 = 1 baja
severity-2 = 2 media
severity-3 = 3 alta
severity-4 = 4 crítica

dir-title = Directorio
dir-contacts = Puntos de contacto
dir-no-contacts = No hay contactos compartidos con usted.
dir-constituency = Comunidad atendida
dir-history = Historial
dir-kind = Tipo
dir-country = País
dir-fingerprint = Huella de la clave OpenPGP
dir-email = Correo electrónico
dir-phone = Teléfono
dir-emergency-phone = Teléfono de emergencia
dir-roles = Funciones
dir-prefixes = Redes
dir-asns = Números de AS
dir-domains = Dominios
dir-sectors = Sectores
dir-hours = Horario de atención
dir-timezone = Zona horaria
dir-version = Versión
dir-home = este nodo

peers-title = Nodos federados
peers-state = Estado de la relación
peers-lag = Retraso (elementos)
peers-last-contact = Último contacto
peers-last-error = Último error
peers-none = No hay nodos federados.
peers-relay = retransmisor

audit-title = Registro de auditoría
audit-chain-ok = { $count ->
    [one] Cadena de hashes verificada: { $n } entrada, íntegra.
   *[other] Cadena de hashes verificada: { $n } entradas, íntegras.
}
audit-chain-bad = Cadena de hashes ROTA en la entrada { $seq }: { $problem }
audit-older = Entradas anteriores
audit-newest = Entradas más recientes

ev-title = Evidencias
ev-custody = Cadena de custodia
ev-intact = Contenido íntegro: el SHA-256 coincide.
ev-not-intact = CONTENIDO ALTERADO: el SHA-256 ya no coincide.
ev-custodian = Custodio
ev-restricted = solo fuerzas del orden
ev-case = Referencia del caso
ev-size = Tamaño
ev-none = No hay registros de evidencias.
ev-description = Descripción
ev-hash-ok = hash verificado
ev-hash-bad = hash no coincide

duration-seconds = { $n } s
duration-minutes = { $n } min
duration-hours = { $n } h
duration-days = { $n } días

date-time = { $day } de { $month } de { $year }, { $time } UTC
date-short = { $day } { $month }
month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre
month-short-1 = ene
month-short-2 = feb
month-short-3 = mar
month-short-4 = abr
month-short-5 = may
month-short-6 = jun
month-short-7 = jul
month-short-8 = ago
month-short-9 = sept
month-short-10 = oct
month-short-11 = nov
month-short-12 = dic
