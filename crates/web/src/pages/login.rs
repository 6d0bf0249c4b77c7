//! Sign in (username + password → the session token of `Services::login`, in a cookie) and
//! sign out (revokes the token).

use super::{check_csrf, csrf_refused, field, see_other, Fields};
use crate::layout::{page, render};
use crate::{cookie_value, safe_next, Language, Session, WebState, LOGIN_COOKIE, SESSION_COOKIE};
use atalaya_services::auth::LoginRequest;
use atalaya_services::{Ctx, ServiceError};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::html;
use std::net::SocketAddr;

#[derive(serde::Deserialize)]
pub struct Next {
    #[serde(default)]
    next: Option<String>,
}

fn random_hex() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

fn login_page(st: &WebState, l: &crate::i18n::L, pre: &str, next: &str, error: Option<String>) -> maud::Markup {
    let body = html! {
        @if let Some(e) = error {
            p.error role="alert" id="login-error" { (e) }
        }
        form.login method="post" action="/ui/login" {
            input type="hidden" name="csrf" value=(st.csrf_for(pre));
            input type="hidden" name="next" value=(next);
            p {
                label for="username" { (l.t("login-username")) }
                input id="username" name="username" type="text" autocomplete="username" required autofocus;
            }
            p {
                label for="password" { (l.t("login-password")) }
                input id="password" name="password" type="password" autocomplete="current-password" required;
            }
            p { button type="submit" { (l.t("login-submit")) } }
        }
    };
    page(l, None, &l.t("login-title"), "", body)
}

pub async fn form(State(st): State<WebState>, Language(l): Language, headers: HeaderMap, Query(q): Query<Next>) -> Response {
    let next = safe_next(q.next.as_deref());
    let (pre, fresh) = match cookie_value(&headers, LOGIN_COOKIE) {
        Some(v) if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => (v.to_string(), false),
        _ => (random_hex(), true),
    };
    let mut res = render(login_page(&st, &l, &pre, &next, None));
    if fresh {
        res.headers_mut().append(header::SET_COOKIE, st.cookie(LOGIN_COOKIE, &pre, None));
    }
    res
}

pub async fn submit(
    State(st): State<WebState>,
    Language(l): Language,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let pre = cookie_value(&headers, LOGIN_COOKIE).unwrap_or("").to_string();
    if pre.is_empty() || !st.csrf_ok(&pre, field(&f, "csrf").unwrap_or("")) {
        return csrf_refused(&l, None);
    }
    let next = safe_next(field(&f, "next"));
    let req = LoginRequest { username: field(&f, "username").unwrap_or("").trim().to_string(), password: field(&f, "password").unwrap_or("").to_string() };
    let ctx = Ctx::anonymous(format!("{addr} (web)"));
    match st.services.login(&ctx, req).await {
        Ok(issued) => {
            let mut res = see_other(&next);
            res.headers_mut().append(header::SET_COOKIE, st.cookie(SESSION_COOKIE, &issued.token, None));
            res.headers_mut().append(header::SET_COOKIE, st.cookie(LOGIN_COOKIE, "", Some(0)));
            res
        }
        Err(e) => {
            let (status, msg) = match e {
                ServiceError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, l.t("login-throttled")),
                ServiceError::Unauthenticated(_) | ServiceError::Invalid(_) => (StatusCode::UNAUTHORIZED, l.t("login-failed")),
                other => return crate::error_page(&l, None, &other),
            };
            (status, render(login_page(&st, &l, &pre, &next, Some(msg)))).into_response()
        }
    }
}

pub async fn logout(State(st): State<WebState>, s: Session, Form(f): Form<Fields>) -> Response {
    if let Err(r) = check_csrf(&st, &s, &f) {
        return r;
    }
    if let Err(e) = st.services.logout(&s.ctx, &s.token).await {
        tracing::warn!(error = %e, "web: logout");
    }
    let mut res = see_other("/ui/login");
    res.headers_mut().append(header::SET_COOKIE, st.cookie(SESSION_COOKIE, "", Some(0)));
    res
}
