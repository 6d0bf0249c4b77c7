//! Pure domain types of Atalaya. No I/O, no database, no HTTP.
//!
//! Input validation lives with the types: each validated newtype parses from a string
//! and refuses bad values with a reason that names what is wrong. Deserialising a request
//! body into these types therefore gives errors that name the offending field.

pub mod country;
pub mod directory;
pub mod incident;
pub mod error;
pub mod role;
pub mod time_util;
pub mod tlp;
pub mod user;

pub use country::CountryCode;
pub use error::{FieldError, ValidationErrors};
pub use role::Role;
pub use tlp::Tlp;
pub mod audit;
