//! Who is asking. Once per request: the session from the bearer token or the cookie, the
//! language, and the CSRF token this response's forms carry. Extractors read the result
//! from the request; nothing looks the session up twice.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use std::net::IpAddr;

use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse, web};

use super::AppState;
use crate::actions::Member;
use crate::actions::accounts::{self, ClientMeta, SESSION_LIFETIME};
use crate::actions::login::PENDING_LIFETIME;
use crate::db::sessions::ActiveSession;
use crate::db::users::User;
use crate::domain::ids::SessionId;
use crate::domain::permissions::Actor;
use crate::domain::token;
use crate::error::AppError;
use crate::i18n::Lang;

pub const SESSION_COOKIE: &str = "agora_session";
pub const CSRF_COOKIE: &str = "agora_csrf";
/// The half-login between the password and the code: sent only to /login paths.
pub const PENDING_COOKIE: &str = "agora_pending";
const PENDING_PATH: &str = "/login";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    Cookie,
    Bearer,
}

#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: SessionId,
    pub user: User,
    pub csrf_token: String,
    pub via: AuthVia,
}

impl SignedIn {
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.user.id(),
            role: self.user.role(),
            totp_enabled: self.user.totp_enabled(),
        }
    }

    /// The member changing their own account from this request.
    pub fn member(&self, req: &HttpRequest) -> Member {
        Member {
            user: self.user.id(),
            username: self.user.username.clone(),
            session: self.session,
            ip: client_meta(req).ip,
        }
    }
}

/// The resolved requester, stored in the request's extensions.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub signed_in: Option<SignedIn>,
    pub lang: Lang,
    /// The CSRF token that forms in this response carry and that writes must echo.
    pub csrf_token: String,
    issue_csrf_cookie: bool,
    drop_session_cookie: bool,
}

impl Viewer {
    pub fn is_api(path: &str) -> bool {
        path.starts_with("/api/")
    }
}

fn bearer_token(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The language: the member's setting, else the browser's, else Chinese.
pub fn negotiate_lang(user: Option<&User>, accept_language: Option<&str>) -> Lang {
    user.and_then(|u| u.locale.as_deref())
        .and_then(Lang::from_tag)
        .or_else(|| accept_language.and_then(Lang::from_accept_language))
        .unwrap_or_default()
}

pub fn accept_language(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(AppError::Internal("application state missing".into()).into());
    };
    let (presented, via) = match bearer_token(&req) {
        Some(token) => (Some(token), AuthVia::Bearer),
        None => (
            req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()),
            AuthVia::Cookie,
        ),
    };
    let session: Option<ActiveSession> = match &presented {
        Some(token) => match accounts::resume_session(&state.db, token).await {
            Ok(found) => found,
            Err(e) => return Ok(req.error_response(e).map_into_right_body()),
        },
        None => None,
    };
    let signed_in = session.map(|s| SignedIn {
        session: s.id(),
        csrf_token: s.csrf_token,
        user: s.user,
        via,
    });
    let lang = negotiate_lang(
        signed_in.as_ref().map(|s| &s.user),
        accept_language(req.request()),
    );
    let anon_csrf = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| token::looks_like_token(v));
    let is_api = Viewer::is_api(req.path());
    let (csrf_token, issue_csrf_cookie) = match (&signed_in, anon_csrf) {
        (Some(s), _) => (s.csrf_token.clone(), false),
        (None, Some(existing)) => (existing, false),
        (None, None) => (token::random_token(), !is_api),
    };
    let viewer = Viewer {
        drop_session_cookie: signed_in.is_none() && presented.is_some() && via == AuthVia::Cookie,
        signed_in,
        lang,
        csrf_token,
        issue_csrf_cookie,
    };
    req.extensions_mut().insert(viewer.clone());
    let secure = state.settings.secure_cookies;

    let mut res = next.call(req).await?;
    let handler_set_session = res.response().cookies().any(|c| c.name() == SESSION_COOKIE);
    if viewer.issue_csrf_cookie {
        let _ = res
            .response_mut()
            .add_cookie(&csrf_cookie(viewer.csrf_token, secure));
    }
    if viewer.drop_session_cookie && !handler_set_session {
        let _ = res.response_mut().add_cookie(&removal_cookie(secure));
    }
    Ok(res.map_into_left_body())
}

fn base_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

/// The session cookie: HttpOnly (no script reads it), SameSite=Lax (not sent on
/// cross-site form posts), Secure behind HTTPS, gone when the session can no longer live.
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    let mut cookie = base_cookie(SESSION_COOKIE, token, secure);
    cookie.set_max_age(time::Duration::seconds(SESSION_LIFETIME.num_seconds()));
    cookie
}

pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = base_cookie(SESSION_COOKIE, String::new(), secure);
    cookie.make_removal();
    cookie
}

/// The half-login cookie: HttpOnly, only for /login paths, gone after five minutes (the
/// server forgets it then too).
pub fn pending_cookie(token: String, secure: bool) -> Cookie<'static> {
    let mut cookie = base_cookie(PENDING_COOKIE, token, secure);
    cookie.set_path(PENDING_PATH);
    cookie.set_max_age(time::Duration::seconds(PENDING_LIFETIME.num_seconds()));
    cookie
}

pub fn pending_removal_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = base_cookie(PENDING_COOKIE, String::new(), secure);
    cookie.set_path(PENDING_PATH);
    cookie.make_removal();
    cookie
}

fn csrf_cookie(token: String, secure: bool) -> Cookie<'static> {
    base_cookie(CSRF_COOKIE, token, secure)
}

/// Where a request came from, for the session list and the throttle.
pub fn client_meta(req: &HttpRequest) -> ClientMeta {
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.trusted_proxies.as_slice())
        .unwrap_or_default();
    let forwarded: Vec<&str> = req
        .headers()
        .get_all(X_FORWARDED_FOR)
        .filter_map(|v| v.to_str().ok())
        .collect();
    ClientMeta {
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ip: req
            .peer_addr()
            .map(|a| client_ip(a.ip(), &forwarded, trusted).to_string()),
    }
}

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address: the peer, unless the peer is one of our reverse proxies; then the
/// nearest address in `X-Forwarded-For` that is not one of them. Anything left of that was
/// written by the client and may be made up, so it is never used; nor is the header when
/// the peer is not a proxy of ours (any client can send it).
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted_proxies.contains(&ip) {
                    break;
                }
            }
            // A hop we cannot read: stop at the last address we could.
            Err(_) => break,
        }
    }
    client
}

/// Adds a fresh session cookie to a response after login.
pub fn with_session_cookie(mut res: HttpResponse, token: String, secure: bool) -> HttpResponse {
    let _ = res.add_cookie(&session_cookie(token, secure));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarded_for_counts_only_behind_our_own_proxies() {
        let proxy = ip("10.0.0.2");
        let trusted = [proxy, ip("10.0.0.3")];
        let client = ip("203.0.113.9");
        assert_eq!(client_ip(client, &["198.51.100.1"], &trusted), client);
        assert_eq!(client_ip(proxy, &["203.0.113.9"], &trusted), client);
        assert_eq!(
            client_ip(proxy, &["1.2.3.4, 203.0.113.9, 10.0.0.3"], &trusted),
            client,
            "what the client wrote on the left is ignored"
        );
        assert_eq!(
            client_ip(proxy, &["1.2.3.4", "203.0.113.9"], &trusted),
            client
        );
        assert_eq!(client_ip(proxy, &[], &trusted), proxy);
        assert_eq!(client_ip(proxy, &["garbage"], &trusted), proxy);
        assert_eq!(
            client_ip(proxy, &["1.2.3.4", ""], &[]),
            proxy,
            "nothing trusted"
        );
    }
}
