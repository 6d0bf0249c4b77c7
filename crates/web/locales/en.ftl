## Atalaya web interface — English (reference: every key here must exist in es, pt, fr)

app-name = Atalaya
skip-to-content = Skip to main content
nav-main = Main navigation
nav-dashboard = Dashboard
nav-intel = Intelligence
nav-import = Import
nav-incidents = Incidents
nav-directory = Directory
nav-peers = Federation peers
nav-audit = Audit log
nav-evidence = Evidence
language = Language
language-apply = Change language
signed-in-as = Signed in as { $user } ({ $role }), { $org }
logout = Sign out
footer-node = Node { $name } · key fingerprint { $fingerprint }

login-title = Sign in
login-username = User name
login-password = Password
login-submit = Sign in
login-failed = Wrong user name or password.
login-throttled = Too many failed attempts. Try again in a few minutes.
session-expired = Please sign in to continue.

error-title = Something went wrong
error-not-found = Not found, or not shared with you.
error-forbidden = Your role may not do this.
error-csrf = This form has expired or did not come from this site. Reload the page and try again.
error-invalid = Invalid value in “{ $field }”: { $reason }
error-conflict = Not possible (“{ $field }”): { $reason }
error-internal = Internal error. The node's administrators find the details in the server log.
error-unavailable = The database is not available right now. Try again shortly.
back = Back

dash-title = Dashboard
dash-cases = { $count ->
    [one] { $n } case
   *[other] { $n } cases
}
dash-exercises-excluded = { $count ->
    [0] Exercise cases: none.
    [one] { $n } exercise case not counted.
   *[other] { $n } exercise cases not counted.
}
dash-by-state = Cases per state
dash-by-sector = Cases per sector
dash-over-time = Cases opened per week (last 12 weeks)
dash-map = Affected states
dash-map-desc = Tile map of the 35 OAS member states; the darker the tile, the more cases.
dash-map-legend = Number of cases
col-state = State
col-cases = Cases
col-sector = Sector
col-acknowledged = Acknowledged
col-mitigated = Mitigated
col-mean-ack = Mean time to acknowledge
col-week = Week of
no-data = No data yet.

intel-title = Intelligence
intel-search-label = Text, or an exact value (IP address, network, domain, hash)
intel-search-submit = Search
intel-results = { $count ->
    [one] { $n } result
   *[other] { $n } results
}
intel-value-matches = Objects holding this value, its networks or its domains
intel-no-results = Nothing found.
intel-import-title = Import a STIX 2.1 bundle
intel-import-file = Bundle or JSON lines file
intel-import-help = STIX 2.1 only; every object is checked against the specification. Distribution: the network, within the TLP of each object.
intel-import-submit = Import
intel-import-report = Import report
intel-import-empty = The file holds no objects.
intel-import-malformed = The file is not valid JSON: { $reason }
intel-uploading = Uploading and checking…
intel-stored = New objects
intel-updated = New versions
intel-skipped = Already present
intel-rejected = Rejected
intel-warnings = Warnings
intel-warninglist-hits = Warninglist hits
intel-correlations = Correlations
intel-sightings = Sightings
intel-sightings-total = { $count ->
    [one] { $n } sighting
   *[other] { $n } sightings
}
intel-first-seen = First seen
intel-last-seen = Last seen
intel-decay = Decay score
intel-object = Object
intel-versions = { $count ->
    [one] { $n } version
   *[other] { $n } versions
}
intel-frequent = Seen very often: { $value } ({ $n } objects)
col-type = Type
col-name = Name
col-id = Id
col-added = Added
col-value = Value
col-list = List
col-organisation = Organisation
col-relation = Relation
col-tlp = TLP
col-when = When
col-who = Who
col-what = What
col-status = Status
col-severity = Severity
col-title = Title
col-phase = Phase
col-reason = Reason
col-field = Field
col-object = Object
col-source = Source
col-done = Done
col-due = Due
revoked = revoked

inc-title = Incident cases
inc-new = Open a new case
inc-create = Open the case
inc-field-title = Title
inc-field-description = Description
inc-field-class = RSIT class
inc-field-type = RSIT type (e.g. phishing, ddos, malware-distribution)
inc-field-severity = Severity
inc-field-tlp = TLP
inc-field-states = Affected states (ISO codes, separated by commas)
inc-field-observables = Observables, one per line (IP address, network, domain, URL, e-mail address, AS number)
inc-field-sectors = Sectors (separated by commas)
inc-field-exercise = Exercise (never sent to real contacts)
inc-exercise = EXERCISE
inc-reported-by = Reported by { $state }
inc-timeline = Timeline
inc-tasks = Tasks
inc-no-tasks = No tasks.
inc-participants = Participating states
inc-no-participants = No state has been notified yet.
inc-routing = Routing
inc-route = Propose recipients
inc-notify-routed = Notify the proposed organisations
inc-proposed = Proposed recipients
inc-reasoning = Reasoning
inc-unrouted = { $count ->
    [0] Every observable was routed.
    [one] { $n } observable could not be routed.
   *[other] { $n } observables could not be routed.
}
inc-no-csirt = States without a national CSIRT in the directory: { $states }
inc-ip-data-missing = No IP-to-country data is loaded on this node; routing uses declared constituencies only.
inc-status-change = Our status on this case
inc-status-new = New status
inc-status-reason = Reason (required to decline)
inc-status-submit = Change status
inc-observables = Observables
inc-ack-due = acknowledge by { $when }
inc-update-due = first update by { $when }
inc-escalated = escalated on { $when }
inc-none = No cases.
inc-all = All cases
inc-participants-count = { $count ->
    [0] no participants
    [one] { $n } participant
   *[other] { $n } participants
}
inc-note = Add to the timeline
inc-note-submit = Add
inc-created = Case opened.
inc-status-changed = Status changed.
inc-notified = Organisations notified.
status-notified = notified
status-acknowledged = acknowledged
status-investigating = investigating
status-mitigated = mitigated
status-closed = closed
status-declined = declined
phase-detection = detection
phase-analysis = analysis
phase-escalation = escalation
phase-response = response
phase-recovery = recovery
severity-0 = 0 informational
severity-1 = 1 low
severity-2 = 2 medium
severity-3 = 3 high
severity-4 = 4 critical

dir-title = Directory
dir-contacts = Points of contact
dir-no-contacts = No contacts shared with you.
dir-constituency = Constituency
dir-history = History
dir-kind = Kind
dir-country = Country
dir-fingerprint = OpenPGP key fingerprint
dir-email = E-mail
dir-phone = Telephone
dir-emergency-phone = Emergency telephone
dir-roles = Roles
dir-prefixes = Networks
dir-asns = AS numbers
dir-domains = Domains
dir-sectors = Sectors
dir-hours = Operating hours
dir-timezone = Time zone
dir-version = Version
dir-home = this node

peers-title = Federation peers
peers-state = State
peers-lag = Lag (items)
peers-last-contact = Last contact
peers-last-error = Last error
peers-none = No peers.
peers-relay = relay

audit-title = Audit log
audit-chain-ok = { $count ->
    [one] Hash chain verified: { $n } entry, intact.
   *[other] Hash chain verified: { $n } entries, intact.
}
audit-chain-bad = Hash chain BROKEN at entry { $seq }: { $problem }
audit-older = Older entries
audit-newest = Newest entries

ev-title = Evidence
ev-custody = Chain of custody
ev-intact = Content intact: the SHA-256 matches.
ev-not-intact = CONTENT CHANGED: the SHA-256 no longer matches.
ev-custodian = Custodian
ev-restricted = law enforcement only
ev-case = Case reference
ev-size = Size
ev-none = No evidence records.
ev-description = Description
ev-hash-ok = hash verified
ev-hash-bad = hash mismatch

duration-seconds = { $n } s
duration-minutes = { $n } min
duration-hours = { $n } h
duration-days = { $n } days

date-time = { $day } { $month } { $year }, { $time } UTC
date-short = { $day } { $month }
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
month-short-1 = Jan
month-short-2 = Feb
month-short-3 = Mar
month-short-4 = Apr
month-short-5 = May
month-short-6 = Jun
month-short-7 = Jul
month-short-8 = Aug
month-short-9 = Sep
month-short-10 = Oct
month-short-11 = Nov
month-short-12 = Dec
