## Interface web do Atalaya — português

app-name = Atalaya
skip-to-content = Ir para o conteúdo principal
nav-main = Navegação principal
nav-dashboard = Painel
nav-intel = Inteligência
nav-import = Importar
nav-incidents = Incidentes
nav-directory = Diretório
nav-peers = Nós federados
nav-audit = Registro de auditoria
nav-evidence = Evidências
language = Idioma
language-apply = Mudar idioma
signed-in-as = Sessão de { $user } ({ $role }), { $org }
logout = Sair
footer-node = Nó { $name } · impressão digital da chave { $fingerprint }

login-title = Entrar
login-username = Nome de usuário
login-password = Senha
login-submit = Entrar
login-failed = Usuário ou senha incorretos.
login-throttled = Muitas tentativas sem sucesso. Tente novamente em alguns minutos.
session-expired = Entre para continuar.

error-title = Algo deu errado
error-not-found = Não encontrado, ou não compartilhado com você.
error-forbidden = Seu papel não permite esta ação.
error-csrf = Este formulário expirou ou não veio deste site. Recarregue a página e tente novamente.
error-invalid = Valor inválido em “{ $field }”: { $reason }
error-conflict = Não é possível (“{ $field }”): { $reason }
error-internal = Erro interno. Os administradores do nó encontram os detalhes no log do servidor.
error-unavailable = O banco de dados não está disponível no momento. Tente novamente em breve.
back = Voltar

dash-title = Painel
dash-cases = { $count ->
    [one] { $n } caso
   *[other] { $n } casos
}
dash-exercises-excluded = { $count ->
    [0] Casos de exercício: nenhum.
    [one] { $n } caso de exercício não contabilizado.
   *[other] { $n } casos de exercício não contabilizados.
}
dash-by-state = Casos por Estado
dash-by-sector = Casos por setor
dash-over-time = Casos abertos por semana (últimas 12 semanas)
dash-map = Estados afetados
dash-map-desc = Mapa de blocos dos 35 Estados membros da OEA; quanto mais escuro, mais casos.
dash-map-legend = Número de casos
col-state = Estado
col-cases = Casos
col-sector = Setor
col-acknowledged = Confirmados
col-mitigated = Mitigados
col-mean-ack = Tempo médio de confirmação
col-week = Semana de
no-data = Ainda não há dados.

intel-title = Inteligência
intel-search-label = Texto, ou um valor exato (endereço IP, rede, domínio, hash)
intel-search-submit = Pesquisar
intel-results = { $count ->
    [one] { $n } resultado
   *[other] { $n } resultados
}
intel-value-matches = Objetos que contêm este valor, suas redes ou seus domínios
intel-no-results = Nada encontrado.
intel-import-title = Importar um pacote STIX 2.1
intel-import-file = Arquivo de pacote ou de linhas JSON
intel-import-help = Somente STIX 2.1; cada objeto é verificado conforme a especificação. Distribuição: a rede, dentro do TLP de cada objeto.
intel-import-submit = Importar
intel-import-report = Relatório de importação
intel-import-empty = O arquivo não contém objetos.
intel-import-malformed = O arquivo não é JSON válido: { $reason }
intel-uploading = Enviando e verificando…
intel-stored = Objetos novos
intel-updated = Versões novas
intel-skipped = Já presentes
intel-rejected = Rejeitados
intel-warnings = Avisos
intel-warninglist-hits = Ocorrências em listas de aviso
intel-correlations = Correlações
intel-sightings = Avistamentos
intel-sightings-total = { $count ->
    [one] { $n } avistamento
   *[other] { $n } avistamentos
}
intel-first-seen = Visto pela primeira vez
intel-last-seen = Visto pela última vez
intel-decay = Pontuação de validade
intel-object = Objeto
intel-versions = { $count ->
    [one] { $n } versão
   *[other] { $n } versões
}
intel-frequent = Visto com muita frequência: { $value } ({ $n } objetos)
col-type = Tipo
col-name = Nome
col-id = Identificador
col-added = Adicionado
col-value = Valor
col-list = Lista
col-organisation = Organização
col-relation = Relação
col-tlp = TLP
col-when = Quando
col-who = Quem
col-what = O quê
col-status = Situação
col-severity = Gravidade
col-title = Título
col-phase = Fase
col-reason = Motivo
col-field = Campo
col-object = Objeto
col-source = Origem
col-done = Concluída
col-due = Prazo
revoked = revogado

inc-title = Casos de incidentes
inc-new = Abrir um novo caso
inc-create = Abrir o caso
inc-field-title = Título
inc-field-description = Descrição
inc-field-class = Classe RSIT
inc-field-type = Tipo RSIT (p. ex. phishing, ddos, malware-distribution)
inc-field-severity = Gravidade
inc-field-tlp = TLP
inc-field-states = Estados afetados (códigos ISO, separados por vírgulas)
inc-field-observables = Observáveis, um por linha (endereço IP, rede, domínio, URL, e-mail, número de AS)
inc-field-sectors = Setores (separados por vírgulas)
inc-field-exercise = Exercício (nunca enviado a contatos reais)
inc-exercise = EXERCÍCIO
inc-reported-by = Notificado por { $state }
inc-timeline = Linha do tempo
inc-tasks = Tarefas
inc-no-tasks = Nenhuma tarefa.
inc-participants = Estados participantes
inc-no-participants = Nenhum Estado foi notificado ainda.
inc-routing = Roteamento
inc-route = Propor destinatários
inc-notify-routed = Notificar as organizações propostas
inc-proposed = Destinatários propostos
inc-reasoning = Raciocínio
inc-unrouted = { $count ->
    [0] Todos os observáveis foram roteados.
    [one] { $n } observável não pôde ser roteado.
   *[other] { $n } observáveis não puderam ser roteados.
}
inc-no-csirt = Estados sem CSIRT nacional no diretório: { $states }
inc-ip-data-missing = Este nó não tem dados de IP para país; o roteamento usa apenas os públicos-alvo declarados.
inc-status-change = Nossa situação neste caso
inc-status-new = Nova situação
inc-status-reason = Motivo (obrigatório para recusar)
inc-status-submit = Mudar situação
inc-observables = Observáveis
inc-ack-due = confirmar até { $when }
inc-update-due = primeira atualização até { $when }
inc-escalated = escalado em { $when }
inc-none = Nenhum caso.
inc-all = Todos os casos
inc-participants-count = { $count ->
    [0] sem participantes
    [one] { $n } participante
   *[other] { $n } participantes
}
inc-note = Adicionar à linha do tempo
inc-note-submit = Adicionar
inc-created = Caso aberto.
inc-status-changed = Situação alterada.
inc-notified = Organizações notificadas.
status-notified = notificado
status-acknowledged = confirmado
status-investigating = investigando
status-mitigated = mitigado
status-closed = encerrado
status-declined = recusado
phase-detection = detecção
phase-analysis = análise
phase-escalation = escalonamento
phase-response = resposta
phase-recovery = recuperação
severity-0 = 0 informativa
severity-1 = 1 baixa
severity-2 = 2 média
severity-3 = 3 alta
severity-4 = 4 crítica

dir-title = Diretório
dir-contacts = Pontos de contato
dir-no-contacts = Nenhum contato compartilhado com você.
dir-constituency = Público-alvo
dir-history = Histórico
dir-kind = Tipo
dir-country = País
dir-fingerprint = Impressão digital da chave OpenPGP
dir-email = E-mail
dir-phone = Telefone
dir-emergency-phone = Telefone de emergência
dir-roles = Funções
dir-prefixes = Redes
dir-asns = Números de AS
dir-domains = Domínios
dir-sectors = Setores
dir-hours = Horário de atendimento
dir-timezone = Fuso horário
dir-version = Versão
dir-home = este nó

peers-title = Nós federados
peers-state = Estado da relação
peers-lag = Atraso (itens)
peers-last-contact = Último contato
peers-last-error = Último erro
peers-none = Nenhum nó federado.
peers-relay = retransmissor

audit-title = Registro de auditoria
audit-chain-ok = { $count ->
    [one] Cadeia de hashes verificada: { $n } entrada, íntegra.
   *[other] Cadeia de hashes verificada: { $n } entradas, íntegras.
}
audit-chain-bad = Cadeia de hashes QUEBRADA na entrada { $seq }: { $problem }
audit-older = Entradas anteriores
audit-newest = Entradas mais recentes

ev-title = Evidências
ev-custody = Cadeia de custódia
ev-intact = Conteúdo íntegro: o SHA-256 confere.
ev-not-intact = CONTEÚDO ALTERADO: o SHA-256 não confere mais.
ev-custodian = Custodiante
ev-restricted = somente forças da lei
ev-case = Referência do caso
ev-size = Tamanho
ev-none = Nenhum registro de evidência.
ev-description = Descrição
ev-hash-ok = hash verificado
ev-hash-bad = hash diverge

duration-seconds = { $n } s
duration-minutes = { $n } min
duration-hours = { $n } h
duration-days = { $n } dias

date-time = { $day } de { $month } de { $year }, { $time } UTC
date-short = { $day } { $month }
month-1 = janeiro
month-2 = fevereiro
month-3 = março
month-4 = abril
month-5 = maio
month-6 = junho
month-7 = julho
month-8 = agosto
month-9 = setembro
month-10 = outubro
month-11 = novembro
month-12 = dezembro
month-short-1 = jan
month-short-2 = fev
month-short-3 = mar
month-short-4 = abr
month-short-5 = mai
month-short-6 = jun
month-short-7 = jul
month-short-8 = ago
month-short-9 = set
month-short-10 = out
month-short-11 = nov
month-short-12 = dez
