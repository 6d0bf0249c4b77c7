//! The page shell: skip link, header with navigation (entries decided by policy), language
//! picker, the signed-in user and sign-out, then the page's own content.

use crate::i18n::{Lang, L};
use crate::{nav, Session};
use atalaya_model::Tlp;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use fluent_bundle::FluentValue;
use maud::{html, Markup, DOCTYPE};

/// A whole page. `current` is the navigation entry to mark (`aria-current`).
pub fn page(l: &L, s: Option<&Session>, title: &str, current: &str, body: Markup) -> Markup {
    let lang = l.lang();
    let here = s.map(|s| s.path.clone()).unwrap_or_else(|| "/ui/".into());
    html! {
        (DOCTYPE)
        html lang=(lang.code()) dir="ltr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (l.t("app-name")) }
                link rel="stylesheet" href="/ui/static/style.css";
                script src="/ui/static/app.js" defer {}
            }
            body {
                a.skip href="#main" { (l.t("skip-to-content")) }
                header.top {
                    a.brand href="/ui/" { (l.t("app-name")) }
                    @if let Some(s) = s {
                        nav aria-label=(l.t("nav-main")) {
                            ul {
                                (entry("/ui/", &l.t("nav-dashboard"), current == "dashboard"))
                                (entry("/ui/intel", &l.t("nav-intel"), current == "intel"))
                                @if nav::may_import(&s.ctx.subject) {
                                    (entry("/ui/intel/import", &l.t("nav-import"), current == "import"))
                                }
                                (entry("/ui/incidents", &l.t("nav-incidents"), current == "incidents"))
                                (entry("/ui/directory", &l.t("nav-directory"), current == "directory"))
                                @if nav::may_see_evidence(&s.ctx.subject) {
                                    (entry("/ui/evidence", &l.t("nav-evidence"), current == "evidence"))
                                }
                                @if nav::may_see_peers(&s.ctx.subject) {
                                    (entry("/ui/peers", &l.t("nav-peers"), current == "peers"))
                                }
                                @if nav::may_read_audit(&s.ctx.subject) {
                                    (entry("/ui/audit", &l.t("nav-audit"), current == "audit"))
                                }
                            }
                        }
                    }
                    div.tools {
                        form.lang method="get" action="/ui/lang" {
                            label for="lang-select" { (l.t("language")) }
                            select id="lang-select" name="l" {
                                @for other in Lang::ALL {
                                    option value=(other.code()) lang=(other.code()) selected[other == lang] { (other.endonym()) }
                                }
                            }
                            input type="hidden" name="next" value=(here);
                            button type="submit" { (l.t("language-apply")) }
                        }
                        @if let Some(s) = s {
                            @if let Some(p) = s.principal() {
                                p.who { (l.tf("signed-in-as", &[("user", FluentValue::from(p.username.clone())), ("role", FluentValue::from(p.role.to_string())), ("org", FluentValue::from(p.org_country.as_ref().map(|c| c.to_string()).unwrap_or_default()))])) }
                            }
                            form.logout method="post" action="/ui/logout" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                button type="submit" { (l.t("logout")) }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

fn entry(href: &str, label: &str, current: bool) -> Markup {
    html! {
        li { a href=(href) aria-current=[current.then_some("page")] { (label) } }
    }
}

/// A page with one message (errors).
pub fn message_page(l: &L, s: Option<&Session>, status: StatusCode, title: &str, msg: &str) -> Response {
    let body = html! {
        p.error role="alert" { (msg) }
        p { a href="/ui/" { (l.t("back")) } }
    };
    (status, Html(page(l, s, title, "", body).into_string())).into_response()
}

pub fn render(m: Markup) -> Response {
    Html(m.into_string()).into_response()
}

/// The TLP badge: the FIRST label verbatim, colours per the TLP 2.0 standard.
pub fn tlp(t: Tlp) -> Markup {
    let class = match t {
        Tlp::Clear => "tlp tlp-clear",
        Tlp::Green => "tlp tlp-green",
        Tlp::Amber => "tlp tlp-amber",
        Tlp::AmberStrict => "tlp tlp-amber-strict",
        Tlp::Red => "tlp tlp-red",
    };
    html! { span class=(class) { (t.label()) } }
}

/// The hidden CSRF field of a POST form.
pub fn csrf(s: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(s.csrf); }
}

/// A short notice after an action (`?done=…`).
pub fn notice(text: Option<String>) -> Markup {
    html! {
        @if let Some(t) = text {
            p.notice role="status" { (t) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// Every visible control has a label, the page names its language, the skip link leads to
    /// `main`, and the heading comes first inside `main` — in every language.
    #[test]
    fn shell_is_accessible_in_every_language() {
        for lang in Lang::ALL {
            let l = L(lang);
            let body = html! {
                form { label for="a" { "A" } input id="a" name="a" type="text"; }
                (tlp(Tlp::AmberStrict))
            };
            let out = page(&l, None, &l.t("login-title"), "", body).into_string();
            assert!(out.starts_with("<!DOCTYPE html><html lang=\"") && out.contains(&format!("lang=\"{}\" dir=\"ltr\"", lang.code())), "{out}");
            assert!(out.contains("class=\"skip\" href=\"#main\"") && out.contains("<main id=\"main\""));
            assert!(out.contains(&format!("<main id=\"main\" tabindex=\"-1\"><h1>{}</h1>", l.t("login-title"))));
            for (i, _) in out.match_indices("<select id=\"").chain(out.match_indices("<input id=\"")) {
                let rest = &out[i..];
                let id = rest.split('"').nth(1).unwrap_or("");
                assert!(out.contains(&format!("for=\"{id}\"")), "{}: control {id} has no label", lang.code());
            }
            // The TLP label is the FIRST literal in every language.
            assert!(out.contains(">TLP:AMBER+STRICT</span>"));
            // The language picker lists every language by its own name.
            for other in Lang::ALL {
                assert!(out.contains(other.endonym()));
            }
        }
    }

    #[test]
    fn user_text_is_escaped() {
        let l = L(Lang::En);
        let out = page(&l, None, "<script>alert(1)</script>", "", html! { p { ("<img src=x onerror=alert(1)>") } }).into_string();
        assert!(!out.contains("<script>alert") && !out.contains("<img src=x"));
        assert!(out.contains("&lt;script&gt;"));
    }
}
