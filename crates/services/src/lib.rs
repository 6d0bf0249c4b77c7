//! Use cases of Atalaya. Each public function takes a [`Ctx`] (who is asking, from where),
//! asks `atalaya-policy` before it reads or writes, and performs every write — with its audit
//! entry — in one store transaction.

pub mod advisories;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod cbm;
pub mod evidence;
pub mod correlate;
pub mod directory;
mod error;
pub mod federation;
pub mod identity;
pub mod incidents;
pub mod notify;
pub mod routing;
pub mod intel;
pub mod library;
pub mod misp;
pub mod node;
pub mod public;
pub mod taxii;
pub mod taxii_client;
pub mod users;

pub use error::ServiceError;
pub use atalaya_store::StateRecord;

use atalaya_model::audit::NewAuditEntry;
use atalaya_policy::{Access, Decision, Subject, Target};
use atalaya_store::Store;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Who is asking and from where: every service call carries one.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub subject: Subject,
    /// Client address (`127.0.0.1:5555`), or `cli` for offline commands.
    pub source: String,
}

impl Ctx {
    pub fn operator() -> Ctx {
        Ctx { subject: Subject::Operator, source: "cli".into() }
    }
    pub fn anonymous(source: impl Into<String>) -> Ctx {
        Ctx { subject: Subject::Anonymous, source: source.into() }
    }
}

/// Settings the services need (the rest of the configuration stays in the CLI).
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Display name of this node (also the default name of its home organisation).
    pub node_name: String,
    /// ISO country of the home organisation, when known.
    pub node_country: Option<String>,
    /// Lifetime of a session token from a password login.
    pub session_ttl: Duration,
    /// Default lifetime of API tokens.
    pub token_ttl: Duration,
    /// Failed logins allowed per user name within `login_window`.
    pub login_max_failures_per_user: i64,
    /// Failed logins allowed per client address within `login_window`.
    pub login_max_failures_per_source: i64,
    pub login_window: Duration,
    /// TLP given to objects that carry none.
    pub default_tlp: atalaya_model::Tlp,
    /// Indicator decay: days until a never-sighted indicator's score reaches 0.
    pub decay_lifetime_days: f64,
    /// Indicator decay: shape (1 = linear; < 1 drops late; > 1 drops early).
    pub decay_speed: f64,
    /// Indicator decay: base score when the indicator states no `confidence`.
    pub decay_default_base: f64,
    /// Incident coordination, routing data and notifications (`[incidents]`).
    pub incidents: incidents::IncidentsConfig,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            node_name: "Atalaya node".into(),
            node_country: None,
            session_ttl: Duration::from_secs(12 * 3600),
            token_ttl: Duration::from_secs(90 * 86400),
            login_max_failures_per_user: 5,
            login_max_failures_per_source: 20,
            login_window: Duration::from_secs(15 * 60),
            default_tlp: atalaya_model::Tlp::Amber,
            decay_lifetime_days: 30.0,
            decay_speed: 0.5,
            decay_default_base: 50.0,
            incidents: incidents::IncidentsConfig::default(),
        }
    }
}

/// The time source. Tests may move it; production reads the system clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> OffsetDateTime {
        let off = self.offset.load(std::sync::atomic::Ordering::Relaxed);
        OffsetDateTime::now_utc() + time::Duration::seconds(off)
    }
    /// Moves this clock forward (tests of expiry and deadlines).
    pub fn advance(&self, d: Duration) {
        self.offset.fetch_add(d.as_secs() as i64, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub identity: Arc<identity::NodeIdentity>,
    pub config: Arc<ServiceConfig>,
    pub clock: Clock,
    pub intel: Arc<correlate::IntelState>,
    /// The node's data directory (key files, evidence content).
    pub data_dir: Arc<std::path::PathBuf>,
}

impl Services {
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Test hook for deadline tests: moves the node's clock forward. Exists only on a node
    /// started with `ATALAYA_TEST_CLOCK_HOOK=1` ("not found" otherwise); node administrators only.
    pub fn advance_test_clock(&self, ctx: &Ctx, seconds: u64) -> Result<()> {
        if !self.config.incidents.test_clock_hook {
            return Err(ServiceError::NotFound("no such endpoint: /api/v1/test/clock".into()));
        }
        require(ctx, Access::Write, &Target::Node)?;
        self.clock.advance(Duration::from_secs(seconds));
        Ok(())
    }
}

/// Asks policy; a denial becomes [`ServiceError::Forbidden`] (or `Unauthenticated` for anonymous).
pub(crate) fn require(ctx: &Ctx, access: Access, target: &Target<'_>) -> Result<()> {
    match atalaya_policy::decide(&ctx.subject, access, target) {
        Decision::Allow => Ok(()),
        Decision::Deny(reason) => match ctx.subject {
            Subject::Anonymous => Err(ServiceError::Unauthenticated("authentication required".into())),
            _ => Err(ServiceError::Forbidden(reason.to_string())),
        },
    }
}

pub(crate) fn audit_entry(ctx: &Ctx, action: &str, kind: &str, id: Option<String>, detail: serde_json::Value) -> NewAuditEntry {
    NewAuditEntry {
        actor: ctx.subject.actor(),
        action: action.into(),
        object_kind: kind.into(),
        object_id: id,
        source: ctx.source.clone(),
        detail,
    }
}
