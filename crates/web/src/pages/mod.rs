//! The screens. Each handler: session → one or a few service calls → a page. Lists come from
//! the services already filtered by policy; buttons are shown per `crate::nav`.

pub mod dashboard;
pub mod directory;
pub mod incidents;
pub mod intel;
pub mod login;
pub mod other;

use crate::layout;
use crate::{Language, Session, WebState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A submitted form as name/value pairs (the CSRF token is checked before anything else).
pub type Fields = Vec<(String, String)>;

pub fn field<'a>(f: &'a Fields, name: &str) -> Option<&'a str> {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// 403 unless the form carries the session's CSRF token.
#[allow(clippy::result_large_err)] // the error is the page to answer with
pub fn check_csrf(st: &WebState, s: &Session, f: &Fields) -> Result<(), Response> {
    if st.csrf_ok(&s.token, field(f, "csrf").unwrap_or("")) {
        Ok(())
    } else {
        Err(csrf_refused(&s.l, Some(s)))
    }
}

pub fn csrf_refused(l: &crate::i18n::L, s: Option<&Session>) -> Response {
    layout::message_page(l, s, StatusCode::FORBIDDEN, &l.t("error-title"), &l.t("error-csrf"))
}

pub async fn not_found(Language(l): Language) -> Response {
    layout::message_page(&l, None, StatusCode::NOT_FOUND, &l.t("error-title"), &l.t("error-not-found")).into_response()
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `303 See Other` after a POST.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, to.to_string())]).into_response()
}
