//! What every page shares: the page context (language, CSRF token, who is signed in),
//! rendering a template into a response, and the view items that lists and threads show.

use std::borrow::Cow;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDateTime, Timelike};

use super::session::Viewer;
use crate::db::posts::PostListing;
use crate::db::threads::ThreadListing;
use crate::domain::content::SanitizedHtml;
use crate::domain::paging;
use crate::domain::permissions::{self, Actor, shows_staff_badge};
use crate::error::AppError;
use crate::i18n::Lang;

/// The signed-in member as the page header shows them.
#[derive(Debug, Clone)]
pub struct NavUser {
    pub username: String,
    pub actor: Actor,
    /// A running suspension: until when (as shown) and why.
    pub suspension: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct PageCtx {
    pub lang: Lang,
    pub csrf: String,
    pub user: Option<NavUser>,
    /// Staff whose powers wait for 2FA: every page shows them the way to /settings.
    pub staff_needs_2fa: bool,
}

impl PageCtx {
    pub fn from_viewer(viewer: &Viewer) -> Self {
        PageCtx {
            lang: viewer.lang,
            csrf: viewer.csrf_token.clone(),
            user: viewer.signed_in.as_ref().map(|s| NavUser {
                username: s.user.username.clone(),
                actor: s.actor(),
                suspension: s
                    .user
                    .suspended_until
                    .filter(|until| *until > crate::db::now())
                    .map(|until| {
                        (
                            Stamp::new(until).text(),
                            s.user.suspension_reason.clone().unwrap_or_default(),
                        )
                    }),
            }),
            staff_needs_2fa: viewer
                .signed_in
                .as_ref()
                .is_some_and(|s| s.actor().staff_without_2fa()),
        }
    }

    pub fn anonymous(lang: Lang) -> Self {
        PageCtx {
            lang,
            csrf: String::new(),
            user: None,
            staff_needs_2fa: false,
        }
    }

    /// A message from the catalog, in the page's language.
    pub fn t(&self, key: &str) -> Cow<'static, str> {
        self.lang.t(key)
    }

    /// A message with `%{name}` placeholders filled in.
    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.lang.tf(key, args)
    }

    /// A message with a `%{count}` placeholder.
    pub fn count(&self, key: &str, count: impl std::fmt::Display) -> String {
        self.lang.tf(key, &[("count", &count.to_string())])
    }

    /// Whether the reader has staff powers (moderation controls show).
    pub fn staff(&self) -> bool {
        self.actor().is_some_and(|a| a.has_staff_powers())
    }

    /// The reader's running suspension, as (until, reason).
    pub fn suspension(&self) -> Option<&(String, String)> {
        self.user.as_ref().and_then(|u| u.suspension.as_ref())
    }

    pub fn signed_in(&self) -> bool {
        self.user.is_some()
    }

    pub fn actor(&self) -> Option<Actor> {
        self.user.as_ref().map(|u| u.actor)
    }
}

impl FromRequest for PageCtx {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Viewer>()
                .map(PageCtx::from_viewer)
                .ok_or_else(|| AppError::Internal("page context without a viewer".into())),
        )
    }
}

/// A rendered page with its status.
pub fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    let html = page
        .render()
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

pub fn ok(page: &impl Template) -> Result<HttpResponse, AppError> {
    render(StatusCode::OK, page)
}

/// 303 See Other: where a form that worked sends the browser.
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

/// A time as pages show it: machine-readable in `datetime`, short for people (UTC).
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    /// `YYYY-MM-DDTHH:MM:SSZ`; what people read is its first 16 bytes with a space for
    /// the `T`.
    iso: [u8; 20],
}

impl Stamp {
    // Written digit by digit into a fixed buffer: a page shows dozens of stamps, and
    // formatting each through `format!` was a tenth of a board page's time.
    pub fn new(at: NaiveDateTime) -> Self {
        let (d, t) = (at.date(), at.time());
        let year = d.year().clamp(0, 9999) as u32;
        let mut iso = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, width: usize, mut value: u32| {
            for i in (at..at + width).rev() {
                iso[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, d.month());
        put(8, 2, d.day());
        put(11, 2, t.hour());
        put(14, 2, t.minute());
        put(17, 2, t.second());
        Stamp { iso }
    }

    pub fn iso(&self) -> &str {
        std::str::from_utf8(&self.iso).unwrap_or_default()
    }

    /// `YYYY-MM-DD HH:MM`.
    pub fn text(&self) -> String {
        let mut text = self.iso()[..16].to_owned();
        text.replace_range(10..11, " ");
        text
    }
}

/// A thread in a list.
#[derive(Debug, Clone)]
pub struct ThreadItem {
    pub id: i64,
    pub title: String,
    pub board_slug: String,
    pub board_name: String,
    pub author: String,
    pub author_staff: bool,
    pub created: Stamp,
    pub last_activity: Stamp,
    pub reply_count: i64,
    pub page_count: i64,
    pub pinned: bool,
    pub locked: bool,
    pub removed: bool,
    pub removed_reason: Option<String>,
    pub author_id: i64,
    pub staff_answered: bool,
    pub solved: bool,
}

impl From<&ThreadListing> for ThreadItem {
    fn from(l: &ThreadListing) -> Self {
        let t = &l.thread;
        ThreadItem {
            id: t.id,
            title: t.title.clone(),
            board_slug: l.board_slug.clone(),
            board_name: l.board_name.clone(),
            author: l.author.username.clone(),
            author_staff: shows_staff_badge(l.author.role(), l.author.totp_enabled()),
            created: Stamp::new(t.created_at),
            last_activity: Stamp::new(t.last_activity_at),
            reply_count: t.reply_count,
            page_count: paging::page_count(t.post_count),
            pinned: t.pinned_at.is_some(),
            locked: t.locked_at.is_some(),
            removed: t.removed_at.is_some(),
            removed_reason: t.removed_reason.clone(),
            author_id: t.author_id,
            staff_answered: t.staff_answered,
            solved: t.accepted_post_id.is_some(),
        }
    }
}

/// A post on a thread page.
#[derive(Debug, Clone)]
pub struct PostItem {
    pub id: i64,
    pub number: i64,
    pub author: String,
    pub author_id: i64,
    pub author_staff: bool,
    pub body: SanitizedHtml,
    pub created: Stamp,
    pub edited: Option<Stamp>,
    pub removed: bool,
    /// Why staff removed it (shown to staff, and to its author instead of the text).
    pub removed_reason: Option<String>,
    pub accepted: bool,
    pub can_edit: bool,
}

impl PostItem {
    pub fn new(l: PostListing, viewer: Option<Actor>) -> Self {
        let p = l.post;
        let author_id = crate::domain::ids::UserId(p.author_id);
        PostItem {
            id: p.id,
            number: p.number,
            author_staff: shows_staff_badge(l.author.role(), l.author.totp_enabled()),
            author: l.author.username,
            author_id: p.author_id,
            body: SanitizedHtml::from_trusted_storage(p.body_html),
            created: Stamp::new(p.created_at),
            edited: p.edited_at.map(Stamp::new),
            removed: p.removed_at.is_some(),
            removed_reason: p.removed_reason,
            accepted: l.thread_accepted_post_id == Some(p.id),
            can_edit: p.removed_at.is_none()
                && viewer.is_some_and(|a| permissions::can_edit_post(&a, author_id).is_ok()),
        }
    }
}

/// Page links: first, last, and two either side of the current page.
#[derive(Debug, Clone)]
pub struct Pager {
    pub current: i64,
    pub count: i64,
    pub links: Vec<PageLink>,
}

#[derive(Debug, Clone)]
pub struct PageLink {
    pub number: i64,
    pub current: bool,
    /// Pages were skipped before this one.
    pub gap_before: bool,
}

impl Pager {
    pub fn new(current: i64, count: i64) -> Self {
        let mut numbers = vec![1, count];
        numbers.extend((current - 2).max(1)..=(current + 2).min(count));
        numbers.sort_unstable();
        numbers.dedup();
        let mut previous = 0;
        let links = numbers
            .into_iter()
            .map(|number| {
                let link = PageLink {
                    number,
                    current: number == current,
                    gap_before: number > previous + 1,
                };
                previous = number;
                link
            })
            .collect();
        Pager {
            current,
            count,
            links,
        }
    }

    pub fn has_many(&self) -> bool {
        self.count > 1
    }
}

/// The messages of an error a compose form can explain (validation, a secret in the
/// text, a suspension, a locked thread), for showing the form again; any other error
/// passes through to the error page.
pub fn form_errors(error: AppError, lang: Lang) -> Result<Vec<String>, AppError> {
    match error {
        AppError::Validation(violations) => Ok(violations
            .iter()
            .map(|v| crate::error::FieldProblem::new(v, lang).message)
            .collect()),
        AppError::SecretDetected
        | AppError::Suspended { .. }
        | AppError::Conflict("thread_locked") => Ok(vec![error.problem(lang).detail]),
        other => Err(other),
    }
}

impl Draft {
    /// Notes why a submit was refused. Text that holds a secret is not sent back: the
    /// member writes it again without the secret.
    pub fn refused(&mut self, error: AppError, lang: Lang) -> Result<(), AppError> {
        if matches!(error, AppError::SecretDetected) {
            self.title.clear();
            self.body.clear();
        }
        self.errors = form_errors(error, lang)?;
        Ok(())
    }
}

/// A form refused for what was typed into it (invalid, a wrong code or password, too many
/// tries, a state that changed): its status and the messages to show beside it. Any other
/// error passes through to the error page.
pub fn refused_form(error: AppError, lang: Lang) -> Result<(StatusCode, Vec<String>), AppError> {
    match error {
        AppError::Validation(_) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, form_errors(error, lang)?))
        }
        AppError::InvalidCredentials
        | AppError::InvalidOtp
        | AppError::WrongPassword
        | AppError::OtpRequired
        | AppError::LoginExpired
        | AppError::RateLimited(_)
        | AppError::Conflict(_) => Ok((error.status(), vec![error.problem(lang).detail])),
        other => Err(other),
    }
}

/// A page answering a refused form; a rate limit carries its `Retry-After`.
pub fn refused(
    status: StatusCode,
    retry_after: Option<u64>,
    page: &impl Template,
) -> Result<HttpResponse, AppError> {
    let mut res = render(status, page)?;
    if let Some(seconds) = retry_after {
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    Ok(res)
}

/// Responses that show a secret (a TOTP secret, recovery codes) must not be cached.
pub fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// The content a form shows again when it comes back with errors or a preview.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub title: String,
    pub body: String,
    pub preview: Option<SanitizedHtml>,
    pub errors: Vec<String>,
}

/// A step before a consequential action (remove, restore, move, flag): what will happen,
/// the reason to give, and the button. Shared by the pages that ask for one.
#[derive(askama::Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub ctx: PageCtx,
    pub heading: String,
    pub explanation: String,
    /// Where the form posts.
    pub action: String,
    pub submit: String,
    /// Where "cancel" goes.
    pub back: String,
    pub ask_reason: bool,
    /// Boards to move to; empty when the action is not a move.
    pub boards: Vec<(String, String)>,
    /// Refusals of an earlier submit.
    pub errors: Vec<String>,
}

impl PageCtx {
    /// The notice a suspended member sees wherever they would write.
    pub fn suspension_notice(&self) -> Option<String> {
        self.suspension().map(|(until, reason)| {
            self.tf(
                "moderation.suspended_notice",
                &[("until", until), ("reason", reason)],
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_shows_ends_and_neighbours() {
        let p = Pager::new(10, 50);
        let numbers: Vec<i64> = p.links.iter().map(|l| l.number).collect();
        assert_eq!(numbers, vec![1, 8, 9, 10, 11, 12, 50]);
        assert!(p.links[1].gap_before && !p.links[2].gap_before && p.links[6].gap_before);
        assert!(p.links[3].current);
        assert!(!Pager::new(1, 1).has_many());
    }

    #[test]
    fn stamps_read_as_chrono_writes_them() {
        for (date, (h, m, s)) in [((2026, 1, 5), (7, 3, 9)), ((1999, 12, 31), (23, 59, 59))] {
            let at = chrono::NaiveDate::from_ymd_opt(date.0, date.1, date.2)
                .and_then(|d| d.and_hms_opt(h, m, s))
                .expect("valid");
            let stamp = Stamp::new(at);
            let utc = at.and_utc();
            assert_eq!(
                stamp.iso(),
                utc.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            assert_eq!(stamp.text(), utc.format("%Y-%m-%d %H:%M").to_string());
        }
    }
}
