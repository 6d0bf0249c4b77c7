//! The property tables of STIX 2.1: for every object type, its specific properties, their types
//! and which are required; the predefined SCO extensions; the ID contributing properties.
//! Common properties (section 3.2) are handled in `check.rs`. Open vocabularies are checked as
//! strings only (their values are a SHOULD); enumerations are closed (a MUST).

/// Largest integer STIX allows (section 2.10: 54-bit signed).
pub(crate) const INT_MAX: i64 = (1 << 53) - 1;
const ANY_INT: Kind = Kind::Int {
    min: -INT_MAX,
    max: INT_MAX,
};
const NON_NEG: Kind = Kind::Int {
    min: 0,
    max: INT_MAX,
};

#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    /// Exactly these types.
    Types(&'static [&'static str]),
    /// An SDO (or a custom type).
    Sdo,
    /// An SCO (or a custom type).
    Sco,
    /// An SDO or SCO (or a custom type): not an SRO, meta object or bundle.
    SdoOrSco,
    /// An SCO or SRO (or a custom type).
    ScoOrSro,
    /// Any STIX object (not a bundle).
    AnyObject,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Str,
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    Float {
        min: f64,
        max: f64,
    },
    Timestamp,
    Ref(Target),
    Refs(Target),
    StrList,
    Enum(&'static [&'static str]),
    EnumList(&'static [&'static str]),
    Dict,
    /// A `hashes` dictionary; `vocab_only`: keys MUST come from hash-algorithm-ov.
    Hashes {
        vocab_only: bool,
    },
    KillChainPhases,
    Binary,
    Hex,
    Object(&'static [Prop]),
    ObjectList(&'static [Prop]),
    /// Checked by a type-specific rule.
    Any,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Prop {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn req(name: &'static str, kind: Kind) -> Prop {
    Prop {
        name,
        kind,
        required: true,
    }
}
const fn opt(name: &'static str, kind: Kind) -> Prop {
    Prop {
        name,
        kind,
        required: false,
    }
}

#[derive(Debug)]
pub(crate) struct ExtSpec {
    pub name: &'static str,
    pub props: &'static [Prop],
}

#[derive(Debug)]
pub(crate) struct TypeSpec {
    pub name: &'static str,
    pub props: &'static [Prop],
    pub id_contributing: &'static [&'static str],
    /// Predefined extensions (SCOs); keys other than these and extension-definition ids are errors
    /// for the types that define some.
    pub extensions: &'static [ExtSpec],
}

pub(crate) const HASH_ALGORITHMS: &[&str] = &[
    "MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512", "SSDEEP", "TLSH",
];
pub(crate) const EXTENSION_TYPES: &[&str] = &[
    "new-sdo",
    "new-sco",
    "new-sro",
    "property-extension",
    "toplevel-property-extension",
];
const ENCRYPTION_ALGORITHMS: &[&str] = &["AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated"];
const OPINIONS: &[&str] = &[
    "strongly-disagree",
    "disagree",
    "neutral",
    "agree",
    "strongly-agree",
];
const SOCKET_FAMILIES: &[&str] = &[
    "AF_UNSPEC",
    "AF_INET",
    "AF_IPX",
    "AF_APPLETALK",
    "AF_NETBIOS",
    "AF_INET6",
    "AF_IRDA",
    "AF_BTH",
];
const SOCKET_TYPES: &[&str] = &[
    "SOCK_STREAM",
    "SOCK_DGRAM",
    "SOCK_RAW",
    "SOCK_RDM",
    "SOCK_SEQPACKET",
];
const INTEGRITY_LEVELS: &[&str] = &["low", "medium", "high", "system"];
const REGISTRY_DATATYPES: &[&str] = &[
    "REG_NONE",
    "REG_SZ",
    "REG_EXPAND_SZ",
    "REG_BINARY",
    "REG_DWORD",
    "REG_DWORD_BIG_ENDIAN",
    "REG_DWORD_LITTLE_ENDIAN",
    "REG_LINK",
    "REG_MULTI_SZ",
    "REG_RESOURCE_LIST",
    "REG_FULL_RESOURCE_DESCRIPTION",
    "REG_RESOURCE_REQUIREMENTS_LIST",
    "REG_QWORD",
    "REG_INVALID_TYPE",
];
const SERVICE_START_TYPES: &[&str] = &[
    "SERVICE_AUTO_START",
    "SERVICE_BOOT_START",
    "SERVICE_DEMAND_START",
    "SERVICE_DISABLED",
    "SERVICE_SYSTEM_ALERT",
];
const SERVICE_TYPES: &[&str] = &[
    "SERVICE_KERNEL_DRIVER",
    "SERVICE_FILE_SYSTEM_DRIVER",
    "SERVICE_WIN32_OWN_PROCESS",
    "SERVICE_WIN32_SHARE_PROCESS",
];
const SERVICE_STATUSES: &[&str] = &[
    "SERVICE_CONTINUE_PENDING",
    "SERVICE_PAUSE_PENDING",
    "SERVICE_PAUSED",
    "SERVICE_RUNNING",
    "SERVICE_START_PENDING",
    "SERVICE_STOP_PENDING",
    "SERVICE_STOPPED",
];

use Kind::*;
use Target::*;

/// Property names reserved by section 3.8: they MUST NOT be present.
pub(crate) const RESERVED_NAMES: &[&str] = &["severity", "username", "phone_number", "action"];

// ---------------------------------------------------------------- SDOs (section 4)

const ATTACK_PATTERN: &[Prop] = &[
    req("name", Str),
    opt("description", Str),
    opt("aliases", StrList),
    opt("kill_chain_phases", KillChainPhases),
];
const CAMPAIGN: &[Prop] = &[
    req("name", Str),
    opt("description", Str),
    opt("aliases", StrList),
    opt("first_seen", Timestamp),
    opt("last_seen", Timestamp),
    opt("objective", Str),
];
/// `action_*`/`os_execution_envs` are RESERVED on course-of-action in STIX 2.1 (checked in `check.rs`).
const COURSE_OF_ACTION: &[Prop] = &[req("name", Str), opt("description", Str)];
pub(crate) const COURSE_OF_ACTION_RESERVED: &[&str] = &[
    "action_type",
    "os_execution_envs",
    "action_bin",
    "action_reference",
];
const GROUPING: &[Prop] = &[
    opt("name", Str),
    opt("description", Str),
    req("context", Str),
    req("object_refs", Refs(AnyObject)),
];
const IDENTITY: &[Prop] = &[
    req("name", Str),
    opt("description", Str),
    opt("roles", StrList),
    opt("identity_class", Str),
    opt("sectors", StrList),
    opt("contact_information", Str),
];
const INCIDENT: &[Prop] = &[
    req("name", Str),
    opt("description", Str),
    opt("kill_chain_phases", KillChainPhases),
];
const INDICATOR: &[Prop] = &[
    opt("name", Str),
    opt("description", Str),
    opt("indicator_types", StrList),
    req("pattern", Str),
    req("pattern_type", Str),
    opt("pattern_version", Str),
    req("valid_from", Timestamp),
    opt("valid_until", Timestamp),
    opt("kill_chain_phases", KillChainPhases),
];
const INFRASTRUCTURE: &[Prop] = &[
    req("name", Str),
    opt("description", Str),
    opt("infrastructure_types", StrList),
    opt("aliases", StrList),
    opt("kill_chain_phases", KillChainPhases),
    opt("first_seen", Timestamp),
    opt("last_seen", Timestamp),
];
const INTRUSION_SET: &[Prop] = &[
    req("name", Str),
    opt("description", Str),
    opt("aliases", StrList),
    opt("first_seen", Timestamp),
    opt("last_seen", Timestamp),
    opt("goals", StrList),
    opt("resource_level", Str),
    opt("primary_motivation", Str),
    opt("secondary_motivations", StrList),
];
const LOCATION: &[Prop] = &[
    opt("name", Str),
    opt("description", Str),
    opt(
        "latitude",
        Float {
            min: -90.0,
            max: 90.0,
        },
    ),
    opt(
        "longitude",
        Float {
            min: -180.0,
            max: 180.0,
        },
    ),
    opt(
        "precision",
        Float {
            min: 0.0,
            max: f64::MAX,
        },
    ),
    opt("region", Str),
    opt("country", Str),
    opt("administrative_area", Str),
    opt("city", Str),
    opt("street_address", Str),
    opt("postal_code", Str),
];
const MALWARE: &[Prop] = &[
    opt("name", Str),
    opt("description", Str),
    opt("malware_types", StrList),
    req("is_family", Bool),
    opt("aliases", StrList),
    opt("kill_chain_phases", KillChainPhases),
    opt("first_seen", Timestamp),
    opt("last_seen", Timestamp),
    opt("operating_system_refs", Refs(Types(&["software"]))),
    opt("architecture_execution_envs", StrList),
    opt("implementation_languages", StrList),
    opt("capabilities", StrList),
    opt("sample_refs", Refs(Types(&["file", "artifact"]))),
];
const MALWARE_ANALYSIS: &[Prop] = &[
    req("product", Str),
    opt("version", Str),
    opt("host_vm_ref", Ref(Types(&["software"]))),
    opt("operating_system_ref", Ref(Types(&["software"]))),
    opt("installed_software_refs", Refs(Types(&["software"]))),
    opt("configuration_version", Str),
    opt("modules", StrList),
    opt("analysis_engine_version", Str),
    opt("analysis_definition_version", Str),
    opt("submitted", Timestamp),
    opt("analysis_started", Timestamp),
    opt("analysis_ended", Timestamp),
    opt("result_name", Str),
    opt("result", Str),
    opt("analysis_sco_refs", Refs(Sco)),
    opt(
        "sample_ref",
        Ref(Types(&["file", "network-traffic", "artifact"])),
    ),
];
const NOTE: &[Prop] = &[
    opt("abstract", Str),
    req("content", Str),
    opt("authors", StrList),
    req("object_refs", Refs(AnyObject)),
];
const OBSERVED_DATA: &[Prop] = &[
    req("first_observed", Timestamp),
    req("last_observed", Timestamp),
    req(
        "number_observed",
        Int {
            min: 1,
            max: 999_999_999,
        },
    ),
    opt("objects", Dict),
    opt("object_refs", Refs(ScoOrSro)),
];
const OPINION: &[Prop] = &[
    opt("explanation", Str),
    opt("authors", StrList),
    req("opinion", Enum(OPINIONS)),
    req("object_refs", Refs(AnyObject)),
];
const REPORT: &[Prop] = &[
    req("name", Str),
    opt("description", Str),
    opt("report_types", StrList),
    req("published", Timestamp),
    req("object_refs", Refs(AnyObject)),
];
const THREAT_ACTOR: &[Prop] = &[
    req("name", Str),
    opt("description", Str),
    opt("threat_actor_types", StrList),
    opt("aliases", StrList),
    opt("first_seen", Timestamp),
    opt("last_seen", Timestamp),
    opt("roles", StrList),
    opt("goals", StrList),
    opt("sophistication", Str),
    opt("resource_level", Str),
    opt("primary_motivation", Str),
    opt("secondary_motivations", StrList),
    opt("personal_motivations", StrList),
];
const TOOL: &[Prop] = &[
    req("name", Str),
    opt("description", Str),
    opt("tool_types", StrList),
    opt("aliases", StrList),
    opt("kill_chain_phases", KillChainPhases),
    opt("tool_version", Str),
];
const VULNERABILITY: &[Prop] = &[req("name", Str), opt("description", Str)];

// ---------------------------------------------------------------- SROs (section 5)

const RELATIONSHIP: &[Prop] = &[
    req("relationship_type", Str),
    opt("description", Str),
    req("source_ref", Ref(SdoOrSco)),
    req("target_ref", Ref(SdoOrSco)),
    opt("start_time", Timestamp),
    opt("stop_time", Timestamp),
];
const SIGHTING: &[Prop] = &[
    opt("description", Str),
    opt("first_seen", Timestamp),
    opt("last_seen", Timestamp),
    opt(
        "count",
        Int {
            min: 0,
            max: 999_999_999,
        },
    ),
    req("sighting_of_ref", Ref(Sdo)),
    opt("observed_data_refs", Refs(Types(&["observed-data"]))),
    opt("where_sighted_refs", Refs(Types(&["identity", "location"]))),
    opt("summary", Any),
];

// ---------------------------------------------------------------- SCOs (section 6)

const ARTIFACT: &[Prop] = &[
    opt("mime_type", Str),
    opt("payload_bin", Binary),
    opt("url", Str),
    opt("hashes", Hashes { vocab_only: true }),
    opt("encryption_algorithm", Enum(ENCRYPTION_ALGORITHMS)),
    opt("decryption_key", Str),
];
const AUTONOMOUS_SYSTEM: &[Prop] = &[req("number", ANY_INT), opt("name", Str), opt("rir", Str)];
const DIRECTORY: &[Prop] = &[
    req("path", Str),
    opt("path_enc", Str),
    opt("ctime", Timestamp),
    opt("mtime", Timestamp),
    opt("atime", Timestamp),
    opt("contains_refs", Refs(Types(&["file", "directory"]))),
];
const DOMAIN_NAME: &[Prop] = &[
    req("value", Str),
    opt(
        "resolves_to_refs",
        Refs(Types(&["ipv4-addr", "ipv6-addr", "domain-name"])),
    ),
];
const EMAIL_ADDR: &[Prop] = &[
    req("value", Str),
    opt("display_name", Str),
    opt("belongs_to_ref", Ref(Types(&["user-account"]))),
];
const MIME_PART: &[Prop] = &[
    opt("body", Str),
    opt("body_raw_ref", Ref(Types(&["artifact", "file"]))),
    opt("content_type", Str),
    opt("content_disposition", Str),
];
const EMAIL_MESSAGE: &[Prop] = &[
    req("is_multipart", Bool),
    opt("date", Timestamp),
    opt("content_type", Str),
    opt("from_ref", Ref(Types(&["email-addr"]))),
    opt("sender_ref", Ref(Types(&["email-addr"]))),
    opt("to_refs", Refs(Types(&["email-addr"]))),
    opt("cc_refs", Refs(Types(&["email-addr"]))),
    opt("bcc_refs", Refs(Types(&["email-addr"]))),
    opt("message_id", Str),
    opt("subject", Str),
    opt("received_lines", StrList),
    opt("additional_header_fields", Dict),
    opt("body", Str),
    opt("body_multipart", ObjectList(MIME_PART)),
    opt("raw_email_ref", Ref(Types(&["artifact"]))),
];
const FILE: &[Prop] = &[
    opt("hashes", Hashes { vocab_only: false }),
    opt("size", NON_NEG),
    opt("name", Str),
    opt("name_enc", Str),
    opt("magic_number_hex", Hex),
    opt("mime_type", Str),
    opt("ctime", Timestamp),
    opt("mtime", Timestamp),
    opt("atime", Timestamp),
    opt("parent_directory_ref", Ref(Types(&["directory"]))),
    opt("contains_refs", Refs(Sco)),
    opt("content_ref", Ref(Types(&["artifact"]))),
];
const ARCHIVE_EXT: &[Prop] = &[
    req("contains_refs", Refs(Types(&["file", "directory"]))),
    opt("comment", Str),
];
const ALTERNATE_DATA_STREAM: &[Prop] = &[
    req("name", Str),
    opt("hashes", Hashes { vocab_only: false }),
    opt("size", NON_NEG),
];
const NTFS_EXT: &[Prop] = &[
    opt("sid", Str),
    opt("alternate_data_streams", ObjectList(ALTERNATE_DATA_STREAM)),
];
const PDF_EXT: &[Prop] = &[
    opt("version", Str),
    opt("is_optimized", Bool),
    opt("document_info_dict", Dict),
    opt("pdfid0", Str),
    opt("pdfid1", Str),
];
const RASTER_IMAGE_EXT: &[Prop] = &[
    opt("image_height", ANY_INT),
    opt("image_width", ANY_INT),
    opt("bits_per_pixel", ANY_INT),
    opt("exif_tags", Dict),
];
const PE_OPTIONAL_HEADER: &[Prop] = &[
    opt("magic_hex", Hex),
    opt("major_linker_version", ANY_INT),
    opt("minor_linker_version", ANY_INT),
    opt("size_of_code", NON_NEG),
    opt("size_of_initialized_data", NON_NEG),
    opt("size_of_uninitialized_data", NON_NEG),
    opt("address_of_entry_point", ANY_INT),
    opt("base_of_code", ANY_INT),
    opt("base_of_data", ANY_INT),
    opt("image_base", ANY_INT),
    opt("section_alignment", ANY_INT),
    opt("file_alignment", ANY_INT),
    opt("major_os_version", ANY_INT),
    opt("minor_os_version", ANY_INT),
    opt("major_image_version", ANY_INT),
    opt("minor_image_version", ANY_INT),
    opt("major_subsystem_version", ANY_INT),
    opt("minor_subsystem_version", ANY_INT),
    opt("win32_version_value_hex", Hex),
    opt("size_of_image", NON_NEG),
    opt("size_of_headers", NON_NEG),
    opt("checksum_hex", Hex),
    opt("subsystem_hex", Hex),
    opt("dll_characteristics_hex", Hex),
    opt("size_of_stack_reserve", NON_NEG),
    opt("size_of_stack_commit", NON_NEG),
    opt("size_of_heap_reserve", NON_NEG),
    opt("size_of_heap_commit", NON_NEG),
    opt("loader_flags_hex", Hex),
    opt("number_of_rva_and_sizes", ANY_INT),
    opt("hashes", Hashes { vocab_only: false }),
];
const PE_SECTION: &[Prop] = &[
    req("name", Str),
    opt("size", NON_NEG),
    opt(
        "entropy",
        Float {
            min: f64::MIN,
            max: f64::MAX,
        },
    ),
    opt("hashes", Hashes { vocab_only: false }),
];
const PEBINARY_EXT: &[Prop] = &[
    req("pe_type", Str),
    opt("imphash", Str),
    opt("machine_hex", Hex),
    opt("number_of_sections", NON_NEG),
    opt("time_date_stamp", Timestamp),
    opt("pointer_to_symbol_table_hex", Hex),
    opt("number_of_symbols", NON_NEG),
    opt("size_of_optional_header", NON_NEG),
    opt("characteristics_hex", Hex),
    opt("file_header_hashes", Hashes { vocab_only: false }),
    opt("optional_header", Object(PE_OPTIONAL_HEADER)),
    opt("sections", ObjectList(PE_SECTION)),
];
const IP_ADDR: &[Prop] = &[
    req("value", Str),
    opt("resolves_to_refs", Refs(Types(&["mac-addr"]))),
    opt("belongs_to_refs", Refs(Types(&["autonomous-system"]))),
];
const MAC_ADDR: &[Prop] = &[req("value", Str)];
const MUTEX: &[Prop] = &[req("name", Str)];
const NET_ADDR: Target = Types(&["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"]);
const NETWORK_TRAFFIC: &[Prop] = &[
    opt("start", Timestamp),
    opt("end", Timestamp),
    opt("is_active", Bool),
    opt("src_ref", Ref(NET_ADDR)),
    opt("dst_ref", Ref(NET_ADDR)),
    opt("src_port", Int { min: 0, max: 65535 }),
    opt("dst_port", Int { min: 0, max: 65535 }),
    req("protocols", StrList),
    opt("src_byte_count", NON_NEG),
    opt("dst_byte_count", NON_NEG),
    opt("src_packets", NON_NEG),
    opt("dst_packets", NON_NEG),
    opt("ipfix", Dict),
    opt("src_payload_ref", Ref(Types(&["artifact"]))),
    opt("dst_payload_ref", Ref(Types(&["artifact"]))),
    opt("encapsulates_refs", Refs(Types(&["network-traffic"]))),
    opt("encapsulated_by_ref", Ref(Types(&["network-traffic"]))),
];
const HTTP_REQUEST_EXT: &[Prop] = &[
    req("request_method", Str),
    req("request_value", Str),
    opt("request_version", Str),
    opt("request_header", Dict),
    opt("message_body_length", NON_NEG),
    opt("message_body_data_ref", Ref(Types(&["artifact"]))),
];
const ICMP_EXT: &[Prop] = &[req("icmp_type_hex", Hex), req("icmp_code_hex", Hex)];
const SOCKET_EXT: &[Prop] = &[
    req("address_family", Enum(SOCKET_FAMILIES)),
    opt("is_blocking", Bool),
    opt("is_listening", Bool),
    opt("options", Dict),
    opt("socket_type", Enum(SOCKET_TYPES)),
    opt("socket_descriptor", NON_NEG),
    opt("socket_handle", ANY_INT),
];
const TCP_EXT: &[Prop] = &[opt("src_flags_hex", Hex), opt("dst_flags_hex", Hex)];
const PROCESS: &[Prop] = &[
    opt("is_hidden", Bool),
    opt("pid", ANY_INT),
    opt("created_time", Timestamp),
    opt("cwd", Str),
    opt("command_line", Str),
    opt("environment_variables", Dict),
    opt("opened_connection_refs", Refs(Types(&["network-traffic"]))),
    opt("creator_user_ref", Ref(Types(&["user-account"]))),
    opt("image_ref", Ref(Types(&["file"]))),
    opt("parent_ref", Ref(Types(&["process"]))),
    opt("child_refs", Refs(Types(&["process"]))),
];
const WINDOWS_PROCESS_EXT: &[Prop] = &[
    opt("aslr_enabled", Bool),
    opt("dep_enabled", Bool),
    opt("priority", Str),
    opt("owner_sid", Str),
    opt("window_title", Str),
    opt("startup_info", Dict),
    opt("integrity_level", Enum(INTEGRITY_LEVELS)),
];
const WINDOWS_SERVICE_EXT: &[Prop] = &[
    opt("service_name", Str),
    opt("descriptions", StrList),
    opt("display_name", Str),
    opt("group_name", Str),
    opt("start_type", Enum(SERVICE_START_TYPES)),
    opt("service_dll_refs", Refs(Types(&["file"]))),
    opt("service_type", Enum(SERVICE_TYPES)),
    opt("service_status", Enum(SERVICE_STATUSES)),
];
const SOFTWARE: &[Prop] = &[
    req("name", Str),
    opt("cpe", Str),
    opt("swid", Str),
    opt("languages", StrList),
    opt("vendor", Str),
    opt("version", Str),
];
const URL: &[Prop] = &[req("value", Str)];
const USER_ACCOUNT: &[Prop] = &[
    opt("user_id", Str),
    opt("credential", Str),
    opt("account_login", Str),
    opt("account_type", Str),
    opt("display_name", Str),
    opt("is_service_account", Bool),
    opt("is_privileged", Bool),
    opt("can_escalate_privs", Bool),
    opt("is_disabled", Bool),
    opt("account_created", Timestamp),
    opt("account_expires", Timestamp),
    opt("credential_last_changed", Timestamp),
    opt("account_first_login", Timestamp),
    opt("account_last_login", Timestamp),
];
const UNIX_ACCOUNT_EXT: &[Prop] = &[
    opt("gid", ANY_INT),
    opt("groups", StrList),
    opt("home_dir", Str),
    opt("shell", Str),
];
const REGISTRY_VALUE: &[Prop] = &[
    opt("name", Str),
    opt("data", Str),
    opt("data_type", Enum(REGISTRY_DATATYPES)),
];
const WINDOWS_REGISTRY_KEY: &[Prop] = &[
    opt("key", Str),
    opt("values", ObjectList(REGISTRY_VALUE)),
    opt("modified_time", Timestamp),
    opt("creator_user_ref", Ref(Types(&["user-account"]))),
    opt("number_of_subkeys", ANY_INT),
];
const X509_V3_EXTENSIONS: &[Prop] = &[
    opt("basic_constraints", Str),
    opt("name_constraints", Str),
    opt("policy_constraints", Str),
    opt("key_usage", Str),
    opt("extended_key_usage", Str),
    opt("subject_key_identifier", Str),
    opt("authority_key_identifier", Str),
    opt("subject_alternative_name", Str),
    opt("issuer_alternative_name", Str),
    opt("subject_directory_attributes", Str),
    opt("crl_distribution_points", Str),
    opt("inhibit_any_policy", Str),
    opt("private_key_usage_period_not_before", Timestamp),
    opt("private_key_usage_period_not_after", Timestamp),
    opt("certificate_policies", Str),
    opt("policy_mappings", Str),
];
const X509_CERTIFICATE: &[Prop] = &[
    opt("is_self_signed", Bool),
    opt("hashes", Hashes { vocab_only: false }),
    opt("version", Str),
    opt("serial_number", Str),
    opt("signature_algorithm", Str),
    opt("issuer", Str),
    opt("validity_not_before", Timestamp),
    opt("validity_not_after", Timestamp),
    opt("subject", Str),
    opt("subject_public_key_algorithm", Str),
    opt("subject_public_key_modulus", Str),
    opt("subject_public_key_exponent", ANY_INT),
    opt("x509_v3_extensions", Object(X509_V3_EXTENSIONS)),
];

// ---------------------------------------------------------------- meta objects (section 7)

const LANGUAGE_CONTENT: &[Prop] = &[
    req("object_ref", Ref(AnyObject)),
    opt("object_modified", Timestamp),
    req("contents", Dict),
];
const MARKING_DEFINITION: &[Prop] = &[
    opt("name", Str),
    opt("definition_type", Str),
    opt("definition", Any),
];
const EXTENSION_DEFINITION: &[Prop] = &[
    req("name", Str),
    opt("description", Str),
    req("schema", Str),
    req("version", Str),
    req("extension_types", EnumList(EXTENSION_TYPES)),
    opt("extension_properties", StrList),
];

const fn t(name: &'static str, props: &'static [Prop]) -> TypeSpec {
    TypeSpec {
        name,
        props,
        id_contributing: &[],
        extensions: &[],
    }
}
const fn sco(
    name: &'static str,
    props: &'static [Prop],
    id_contributing: &'static [&'static str],
) -> TypeSpec {
    TypeSpec {
        name,
        props,
        id_contributing,
        extensions: &[],
    }
}

pub(crate) static TYPES: &[TypeSpec] = &[
    t("attack-pattern", ATTACK_PATTERN),
    t("campaign", CAMPAIGN),
    t("course-of-action", COURSE_OF_ACTION),
    t("grouping", GROUPING),
    t("identity", IDENTITY),
    t("incident", INCIDENT),
    t("indicator", INDICATOR),
    t("infrastructure", INFRASTRUCTURE),
    t("intrusion-set", INTRUSION_SET),
    t("location", LOCATION),
    t("malware", MALWARE),
    t("malware-analysis", MALWARE_ANALYSIS),
    t("note", NOTE),
    t("observed-data", OBSERVED_DATA),
    t("opinion", OPINION),
    t("report", REPORT),
    t("threat-actor", THREAT_ACTOR),
    t("tool", TOOL),
    t("vulnerability", VULNERABILITY),
    t("relationship", RELATIONSHIP),
    t("sighting", SIGHTING),
    sco("artifact", ARTIFACT, &["hashes", "payload_bin"]),
    sco("autonomous-system", AUTONOMOUS_SYSTEM, &["number"]),
    sco("directory", DIRECTORY, &["path"]),
    sco("domain-name", DOMAIN_NAME, &["value"]),
    sco("email-addr", EMAIL_ADDR, &["value"]),
    sco(
        "email-message",
        EMAIL_MESSAGE,
        &["from_ref", "subject", "body"],
    ),
    TypeSpec {
        name: "file",
        props: FILE,
        id_contributing: &["hashes", "name", "extensions", "parent_directory_ref"],
        extensions: &[
            ExtSpec {
                name: "archive-ext",
                props: ARCHIVE_EXT,
            },
            ExtSpec {
                name: "ntfs-ext",
                props: NTFS_EXT,
            },
            ExtSpec {
                name: "pdf-ext",
                props: PDF_EXT,
            },
            ExtSpec {
                name: "raster-image-ext",
                props: RASTER_IMAGE_EXT,
            },
            ExtSpec {
                name: "windows-pebinary-ext",
                props: PEBINARY_EXT,
            },
        ],
    },
    sco("ipv4-addr", IP_ADDR, &["value"]),
    sco("ipv6-addr", IP_ADDR, &["value"]),
    sco("mac-addr", MAC_ADDR, &["value"]),
    sco("mutex", MUTEX, &["name"]),
    TypeSpec {
        name: "network-traffic",
        props: NETWORK_TRAFFIC,
        id_contributing: &[
            "start",
            "end",
            "src_ref",
            "dst_ref",
            "src_port",
            "dst_port",
            "protocols",
            "extensions",
        ],
        extensions: &[
            ExtSpec {
                name: "http-request-ext",
                props: HTTP_REQUEST_EXT,
            },
            ExtSpec {
                name: "icmp-ext",
                props: ICMP_EXT,
            },
            ExtSpec {
                name: "socket-ext",
                props: SOCKET_EXT,
            },
            ExtSpec {
                name: "tcp-ext",
                props: TCP_EXT,
            },
        ],
    },
    TypeSpec {
        name: "process",
        props: PROCESS,
        id_contributing: &[],
        extensions: &[
            ExtSpec {
                name: "windows-process-ext",
                props: WINDOWS_PROCESS_EXT,
            },
            ExtSpec {
                name: "windows-service-ext",
                props: WINDOWS_SERVICE_EXT,
            },
        ],
    },
    sco(
        "software",
        SOFTWARE,
        &["name", "cpe", "swid", "vendor", "version"],
    ),
    sco("url", URL, &["value"]),
    TypeSpec {
        name: "user-account",
        props: USER_ACCOUNT,
        id_contributing: &["account_type", "user_id", "account_login"],
        extensions: &[ExtSpec {
            name: "unix-account-ext",
            props: UNIX_ACCOUNT_EXT,
        }],
    },
    sco(
        "windows-registry-key",
        WINDOWS_REGISTRY_KEY,
        &["key", "values"],
    ),
    sco(
        "x509-certificate",
        X509_CERTIFICATE,
        &["hashes", "serial_number"],
    ),
    t("language-content", LANGUAGE_CONTENT),
    t("marking-definition", MARKING_DEFINITION),
    t("extension-definition", EXTENSION_DEFINITION),
];

pub(crate) fn type_spec(object_type: &str) -> Option<&'static TypeSpec> {
    TYPES.iter().find(|s| s.name == object_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::ident::{META_TYPES, SCO_TYPES, SDO_TYPES, SRO_TYPES};

    #[test]
    fn every_type_has_a_table() {
        for t in SDO_TYPES
            .iter()
            .chain(SRO_TYPES)
            .chain(SCO_TYPES)
            .chain(META_TYPES)
        {
            assert!(type_spec(t).is_some(), "{t}");
        }
        assert_eq!(
            TYPES.len(),
            SDO_TYPES.len() + SRO_TYPES.len() + SCO_TYPES.len() + META_TYPES.len()
        );
    }
}
