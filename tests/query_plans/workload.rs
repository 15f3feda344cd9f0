//! The workload whose statements are checked: accounts, sessions and 2FA; writing through
//! the API and the forms; reading every list and page as a visitor, a member and staff;
//! searching; moderating. Every request is checked to have been served, so that no path
//! is skipped silently, and named (`doing`) so that each statement is reported with the
//! request that first ran it.

use agora::db::schema::sessions;
use diesel::connection::{Connection, InstrumentationEvent};
use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use scraper::{Html, Selector};
use serde_json::{Value, json};

use crate::doing;
use crate::helpers::{
    Account, Browser, PASSWORD, TestApp, account_with_2fa, browser_with_2fa, code_next,
    enrol_in_browser, login_with, member_with_2fa, texts, wrong_code,
};

const SUPPORT: &str = "technical-support";
const BOARDS: [&str; 3] = [SUPPORT, "beginners", "trading-issues"];
const FILTERS: [&str; 4] = [
    "",
    "?filter=unanswered",
    "?filter=staff-answered",
    "?filter=solved",
];
const NEW_PASSWORD: &str = "a brand new passphrase 2026";

/// Runs the whole workload against `app`.
pub async fn run(app: &TestApp) {
    let mut cast = accounts_and_sessions(app).await;
    let made = writing(&cast).await;
    reading(&cast, &made).await;
    searching(&cast.visitor).await;
    moderating(&mut cast, &made).await;
    cast.dave.form("/", "/logout", &[]).await;
    let current = "/sessions/current";
    cast.alice.api(Method::DELETE, current, Value::Null).await;
}

/// Someone using the forum: a browser (cookies, forms) and, for the API, maybe a token.
struct Actor<'a> {
    app: &'a TestApp,
    name: &'static str,
    token: Option<String>,
    browser: Browser,
}

impl<'a> Actor<'a> {
    fn new(app: &'a TestApp, name: &'static str, token: Option<String>) -> Self {
        let browser = app.browser();
        Actor {
            app,
            name,
            token,
            browser,
        }
    }

    /// Logs in through the API (`extra`: a code) and acts with the new token.
    async fn logged_in(app: &'a TestApp, name: &'static str, extra: Value) -> Self {
        doing(&format!("{name}: POST /api/v1/sessions"));
        let res = login_with(app, name, PASSWORD, extra).await;
        assert_eq!(res.status(), StatusCode::CREATED, "login of {name}");
        let body: Value = res.json().await.expect("json");
        let token = body["token"].as_str().expect("token").to_owned();
        Actor::new(app, name, Some(token))
    }

    async fn get(&self, path: &str) -> Value {
        self.api(Method::GET, path, Value::Null).await
    }

    /// An API request that succeeds: its JSON body, or null.
    async fn api(&self, method: Method, path: &str, body: Value) -> Value {
        self.api_answered(None, method, path, body).await
    }

    async fn refused(&self, status: StatusCode, method: Method, path: &str, body: Value) {
        self.api_answered(Some(status), method, path, body).await;
    }

    async fn api_answered(
        &self,
        status: Option<StatusCode>,
        method: Method,
        path: &str,
        body: Value,
    ) -> Value {
        let label = format!("{}: {method} /api/v1{path}", self.name);
        doing(&label);
        let body = (!body.is_null()).then_some(body);
        let token = self.token.as_deref();
        let res = self
            .app
            .json(method, &format!("/api/v1{path}"), token, body)
            .await;
        let got = res.status();
        let text = res.text().await.expect("body");
        match status {
            Some(status) => assert_eq!(got, status, "{label}: {text}"),
            None => assert!(got.is_success(), "{label}: {got} {text}"),
        }
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn page(&self, path: &str) -> Html {
        doing(&format!("{}: GET {path}", self.name));
        let (status, html) = self.browser.page(path).await;
        assert_eq!(status, StatusCode::OK, "{}: GET {path}", self.name);
        html
    }

    /// Submits the form posting to `action` on the page `on`; the answer is a redirect.
    async fn form(&self, on: &str, action: &str, fields: &[(&str, &str)]) -> Html {
        self.form_answered(StatusCode::SEE_OTHER, on, action, fields)
            .await
    }

    async fn form_answered(
        &self,
        status: StatusCode,
        on: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Html {
        let label = format!("{}: POST {action} (the form on {on})", self.name);
        doing(&label);
        let res = self.browser.submit(on, action, fields).await;
        let got = res.status();
        let text = res.text().await.expect("body");
        assert_eq!(got, status, "{label}: {text}");
        Html::parse_document(&text)
    }
}

fn id(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("an id, not {v}"))
}

/// The accounts the workload acts as. Staff and admins were made by the operator's CLI
/// with 2FA on; `staff` is support_kim's browser (signed in with a code) and token.
struct Cast<'a> {
    admin: Account,
    owner: Account,
    kim: Account,
    lee: Account,
    visitor: Actor<'a>,
    staff: Actor<'a>,
    alice: Actor<'a>,
    bob: Actor<'a>,
    carol: Actor<'a>,
    dave: Actor<'a>,
}

/// Registration, password and 2FA logins (with failures, which the throttle counts), 2FA
/// enrolment and its upkeep, sessions listed and ended, language and password changes.
async fn accounts_and_sessions(app: &TestApp) -> Cast<'_> {
    doing("accounts made through the CLI, 2FA turned on through the API");
    let admin = account_with_2fa(app, "site_admin", "admin").await;
    let owner = account_with_2fa(app, "site_owner", "admin").await;
    let mut kim = account_with_2fa(app, "support_kim", "staff").await;
    let lee_account = account_with_2fa(app, "support_lee", "staff").await;
    let visitor = Actor::new(app, "a visitor", None);
    let password = |name: &str| json!({ "username": name, "password": PASSWORD });
    for name in ["alice", "bob", "carol"] {
        visitor.api(Method::POST, "/users", password(name)).await;
    }
    // A wrong password and an unknown name are refused (and counted by the throttle); staff
    // are asked for a code, then give one from the authenticator or a recovery code.
    let unauthorized = StatusCode::UNAUTHORIZED;
    let wrong = json!({ "username": "alice", "password": "not the password at all" });
    for body in [wrong, password("nobody_here"), password("support_kim")] {
        let sessions = "/sessions";
        visitor
            .refused(unauthorized, Method::POST, sessions, body)
            .await;
    }
    let otp = json!({ "otp": kim.totp.fresh().await });
    Actor::logged_in(app, "support_kim", otp).await;
    let recovery = json!({ "recovery_code": kim.recovery_codes[1] });
    Actor::logged_in(app, "support_kim", recovery).await;
    doing("support_kim: the password and code steps in a browser");
    let browser = browser_with_2fa(app, "support_kim", &kim.recovery_codes[0]).await;
    let staff = Actor {
        browser,
        ..Actor::new(app, "support_kim", Some(kim.token.clone()))
    };
    let lee = Actor::new(app, "support_lee", None);
    let fields = [("username", "support_lee"), ("password", PASSWORD)];
    lee.form("/login", "/login", &fields).await;
    let step = "/login/code";
    let wrong = wrong_code(&lee_account.totp.secret);
    let refused = lee
        .form_answered(unauthorized, step, step, &[("code", &wrong)])
        .await;
    assert!(!texts(&refused, ".form-errors").is_empty(), "a wrong code");
    let code = &lee_account.recovery_codes[0];
    lee.form(step, step, &[("code", code)]).await;

    // A member turns 2FA on, renews the codes, logs in with a code and turns 2FA off.
    doing("erin: registers and turns 2FA on through the API");
    let (token, secret, codes) = member_with_2fa(app, "erin").await;
    let erin = Actor::new(app, "erin", Some(token));
    let recovery = json!({ "recovery_code": codes[0] });
    let renewed = erin
        .api(Method::POST, "/me/totp/recovery-codes", recovery)
        .await;
    Actor::logged_in(app, "erin", json!({ "otp": code_next(&secret) })).await;
    let recovery = json!({ "recovery_code": renewed["recovery_codes"][0] });
    erin.api(Method::DELETE, "/me/totp", recovery).await;

    // The same in the browser, with the settings page's other forms.
    let dave = Actor::new(app, "dave", None);
    let fields = [("username", "dave"), ("password", PASSWORD)];
    dave.form("/register", "/register", &fields).await;
    doing("dave: turns 2FA on in the settings");
    let (_, codes) = enrol_in_browser(&dave.browser).await;
    let (on, renew) = ("/settings", "/settings/totp/recovery-codes");
    let shown = dave
        .form_answered(StatusCode::OK, on, renew, &[("code", &codes[0])])
        .await;
    let renewed = texts(&shown, ".recovery-codes li code");
    dave.form(on, "/settings/totp/disable", &[("code", &renewed[0])])
        .await;
    dave.form(on, "/settings/language", &[("language", "en")])
        .await;
    let fields = [
        ("current_password", PASSWORD),
        ("new_password", NEW_PASSWORD),
    ];
    dave.form(on, "/settings/password", &fields).await;

    // Sessions listed and ended: one, then all the others, in the API and the settings.
    Actor::logged_in(app, "alice", json!({})).await;
    let spare = Actor::logged_in(app, "alice", json!({})).await;
    let listed = spare.get("/me/sessions").await;
    let sessions = listed["sessions"].as_array().expect("sessions");
    let oldest = sessions.iter().map(|s| id(&s["id"])).min().expect("one");
    let path = format!("/me/sessions/{oldest}");
    spare.api(Method::DELETE, &path, Value::Null).await;
    spare
        .api(Method::DELETE, "/me/sessions/others", Value::Null)
        .await;
    let alice = Actor::logged_in(app, "alice", json!({})).await;
    let body = json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD });
    alice.api(Method::PUT, "/me/password", body).await;
    for code in &lee_account.recovery_codes[4..6] {
        let recovery = json!({ "recovery_code": code });
        Actor::logged_in(app, "support_lee", recovery).await;
    }
    let settings = lee.page("/settings").await;
    let others = Selector::parse("tr.session:not(.is-current) form").expect("selector");
    let end_one = settings
        .select(&others)
        .find_map(|f| f.value().attr("action"))
        .expect("another session")
        .to_owned();
    lee.form(on, &end_one, &[]).await;
    lee.form(on, "/settings/sessions/others/logout", &[]).await;

    Cast {
        admin,
        owner,
        kim,
        lee: lee_account,
        visitor,
        staff,
        alice,
        bob: Actor::logged_in(app, "bob", json!({})).await,
        carol: Actor::logged_in(app, "carol", json!({})).await,
        dave,
    }
}

/// What the workload wrote: a thread with a staff reply, and a thread of four pages.
struct Made {
    thread: i64,
    opening: i64,
    reply: i64,
    long: i64,
}

/// New threads and replies through the API and the forms, an edit, previews, similar
/// threads while composing, an answer accepted and unaccepted.
async fn writing(cast: &Cast<'_>) -> Made {
    let (alice, bob, dave) = (&cast.alice, &cast.bob, &cast.dave);
    let path = format!("/boards/{SUPPORT}/threads");
    let body = json!({ "title": "提币一直没到账 USDT-TRC20", "body": "三个小时了，txid 查不到。" });
    let created = alice.api(Method::POST, &path, body).await;
    let (thread, opening) = (id(&created["thread"]["id"]), id(&created["post"]["id"]));
    let body = json!({ "title": "How do I finish KYC?", "body": "My KYC was rejected twice." });
    let long = bob
        .api(Method::POST, "/boards/beginners/threads", body)
        .await;
    let long = id(&long["thread"]["id"]);
    // Past 60 posts a thread has a fourth page.
    for n in 1..=65 {
        let author = if n % 2 == 0 { alice } else { bob };
        let body = json!({ "body": format!("Reply {n}: upload the documents again.") });
        author
            .api(Method::POST, &format!("/threads/{long}/posts"), body)
            .await;
    }
    let replies = format!("/threads/{thread}/posts");
    let body = json!({ "body": "Please send the txid so that we can check it." });
    let reply = id(&cast.staff.api(Method::POST, &replies, body).await["id"]);
    let body = json!({ "body": "网络拥堵，等了两个小时到账了。" });
    bob.api(Method::POST, &replies, body).await;
    let body = json!({ "body": "三个小时了还没到账。**已解决**" });
    alice
        .api(Method::PATCH, &format!("/posts/{opening}"), body)
        .await;
    let body = json!({ "body": "预览 **preview**" });
    alice.api(Method::POST, "/preview", body).await;
    let title = serde_urlencoded::to_string([("title", "提币没到账")]).expect("query");
    cast.visitor.get(&format!("/search/similar?{title}")).await;
    let accepted = format!("/threads/{thread}/accepted");
    alice
        .api(Method::PUT, &accepted, json!({ "post_id": reply }))
        .await;
    alice.api(Method::DELETE, &accepted, Value::Null).await;

    // In the browser: compose with a preview and a refusal, reply, edit, accept.
    let compose = format!("/b/{SUPPORT}/new");
    let (title, body) = (
        ("title", "合约爆仓了怎么办"),
        ("body", "昨晚合约爆仓，保证金全没了。"),
    );
    let ok = StatusCode::OK;
    let fields = [title, body, ("preview", "1")];
    dave.form_answered(ok, &compose, &compose, &fields).await;
    let fields = [("title", "爆"), body, ("submit", "1")];
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    dave.form_answered(refused, &compose, &compose, &fields)
        .await;
    dave.form(&compose, &compose, &[title, body, ("submit", "1")])
        .await;
    let (at, reply_to) = (format!("/t/{thread}"), format!("/t/{thread}/reply"));
    let body = ("body", "我也遇到了，USDT 提币卡住。");
    let fields = [body, ("preview", "1")];
    dave.form_answered(ok, &at, &reply_to, &fields).await;
    dave.form(&at, &reply_to, &[body, ("submit", "1")]).await;
    let shown = dave.get(&format!("/threads/{thread}")).await;
    let posts = shown["posts"].as_array().expect("posts");
    let mine = posts.iter().filter(|p| p["author"]["username"] == "dave");
    let edit = format!(
        "/p/{}/edit",
        mine.map(|p| id(&p["id"])).max().expect("dave's")
    );
    let body = ("body", "我也遇到了，USDT 提币卡住，已解决。");
    dave.form_answered(ok, &edit, &edit, &[body, ("preview", "1")])
        .await;
    dave.form(&edit, &edit, &[body, ("submit", "1")]).await;
    let fields = [("post_id", reply.to_string())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    cast.staff
        .form(&at, &format!("/t/{thread}/accept"), &fields)
        .await;
    Made {
        thread,
        opening,
        reply,
        long,
    }
}

/// Boards and every list (each filter, later pages by cursor) as a visitor and as staff;
/// thread pages (first, deep, with an accepted answer), permalinks, profiles, as a
/// visitor, a member and staff.
async fn reading(cast: &Cast<'_>, made: &Made) {
    sessions_seen_a_while_ago(cast.visitor.app);
    let older = Selector::parse(r#"a[rel="next"]"#).expect("selector");
    let mut longest = (0, 0);
    for reader in [&cast.visitor, &cast.staff] {
        reader.page("/").await;
        reader.get("/boards").await;
        for slug in BOARDS {
            for filter in FILTERS {
                let list = reader.page(&format!("/b/{slug}{filter}")).await;
                if let Some(next) = list.select(&older).find_map(|a| a.value().attr("href")) {
                    reader.page(next).await;
                }
                let sep = if filter.is_empty() { '?' } else { '&' };
                let mut path = format!("/boards/{slug}/threads{filter}{sep}limit=10");
                loop {
                    let list = reader.get(&path).await;
                    for t in list["threads"].as_array().expect("threads") {
                        longest = longest.max((id(&t["reply_count"]), id(&t["id"])));
                    }
                    let Some(cursor) = list["next_cursor"].as_str() else {
                        break;
                    };
                    path = format!("/boards/{slug}/threads{filter}{sep}limit=100&cursor={cursor}");
                }
            }
        }
    }
    let pages: [(i64, &[&str]); 3] = [
        (made.thread, &[""]),
        (made.long, &["", "?page=2", "?page=4"]),
        (longest.1, &["", "?page=4", "?page=8"]),
    ];
    for reader in [&cast.visitor, &cast.dave, &cast.staff] {
        for (thread, queries) in pages {
            for query in queries {
                reader.page(&format!("/t/{thread}{query}")).await;
                let path = format!("/threads/{thread}{query}");
                reader.get(&path).await;
            }
        }
        for post in [made.opening, made.reply] {
            doing(&format!("{}: GET /p/{post}", reader.name));
            let res = reader.browser.get(&format!("/p/{post}")).await;
            assert_eq!(
                res.status(),
                StatusCode::SEE_OTHER,
                "the permalink of {post}"
            );
        }
        for user in ["alice", "dave", "support_kim", "agora_support_1"] {
            reader.page(&format!("/u/{user}")).await;
        }
    }
    cast.dave.page(&format!("/b/{SUPPORT}/new")).await;
    cast.dave.page("/settings").await;
    cast.bob.get("/me").await;
}

/// Moves every session's last-seen time ten minutes back, as if their browsers had been
/// away: their next request writes it again (it is written at most every five minutes).
/// Done on a connection of the test's own, which records nothing.
fn sessions_seen_a_while_ago(app: &TestApp) {
    let mut conn = app.db.conn();
    conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
    let seen: Vec<(i64, chrono::NaiveDateTime)> = sessions::table
        .select((sessions::id, sessions::last_seen_at))
        .load(&mut conn)
        .expect("sessions");
    for (id, at) in seen {
        diesel::update(sessions::table.find(id))
            .set(sessions::last_seen_at.eq(at - chrono::Duration::minutes(10)))
            .execute(&mut conn)
            .expect("session moved back");
    }
}

/// Search in Chinese, English and both, with each filter, misspelled, an identifier, a
/// query common enough to need the best title matches, a later page, an empty query.
async fn searching(visitor: &Actor<'_>) {
    let common = "交易 成交 可能 验证 注册 签名 哈希 NTP key days";
    let queries: [&[(&str, &str)]; 12] = [
        &[("q", "提币")],
        &[("q", "withdrawal")],
        &[("q", "API报错 50113")],
        &[("q", "提币"), ("board", SUPPORT)],
        &[("q", "提币"), ("staff_answered", "1")],
        &[("q", "提币"), ("solved", "1")],
        &[
            ("q", "爆仓 margin"),
            ("board", SUPPORT),
            ("staff_answered", "1"),
            ("solved", "1"),
        ],
        &[("q", "confirmatons")],
        &[("q", "体现 没到账")],
        &[("q", "usdt-trc20")],
        &[("q", common), ("page", "2")],
        &[("q", "!!!")],
    ];
    for query in queries {
        let query = serde_urlencoded::to_string(query).expect("query");
        visitor.page(&format!("/search?{query}")).await;
        visitor.get(&format!("/search?{query}")).await;
    }
}

/// Flags and their queue, the /mod page, every staff action through the API and the
/// forms, suspensions and roles with fresh codes, the log and the search report.
async fn moderating(cast: &mut Cast<'_>, made: &Made) {
    let (app, staff) = (cast.visitor.app, &cast.staff);
    let (thread, reply) = (made.thread, made.reply);
    let spam = json!({ "reason": "spam" });
    let flags = format!("/posts/{reply}/flags");
    cast.bob.api(Method::POST, &flags, spam.clone()).await;
    let flags = format!("/posts/{}/flags", made.opening);
    cast.carol.api(Method::POST, &flags, spam).await;
    let flag = format!("/p/{reply}/flag");
    cast.dave
        .form(&flag, &flag, &[("reason", "wrong answer")])
        .await;
    let queue = staff.get("/mod/flags").await;
    let queue: Vec<i64> = queue["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .map(|f| id(&f["id"]))
        .collect();
    assert!(queue.len() >= 2, "{queue:?}");
    staff.page("/mod").await;
    let resolve = |flag: i64| format!("/mod/flags/{flag}/resolve");
    let dismiss = json!({ "action": "dismiss" });
    staff.api(Method::POST, &resolve(queue[0]), dismiss).await;
    let fields = [("action", "remove"), ("reason", "off topic")];
    staff.form("/mod", &resolve(queue[1]), &fields).await;

    // Every staff action on a thread and on a post, through the API...
    let t = |action: &str| format!("/threads/{thread}/{action}");
    let p = |action: &str| format!("/posts/{reply}/{action}");
    let why = json!({ "reason": "checking" });
    for (method, path, body) in [
        (Method::PUT, t("pin"), Value::Null),
        (Method::DELETE, t("pin"), Value::Null),
        (Method::PUT, t("lock"), Value::Null),
        (Method::DELETE, t("lock"), Value::Null),
        (Method::POST, t("remove"), why.clone()),
        (Method::POST, t("restore"), why.clone()),
        (Method::POST, p("remove"), why.clone()),
        (Method::POST, p("restore"), why),
        (Method::POST, t("move"), json!({ "board": "beginners" })),
        (Method::DELETE, t("accepted"), Value::Null),
        (Method::PUT, t("accepted"), json!({ "post_id": reply })),
        (Method::PUT, t("lock"), Value::Null),
    ] {
        staff.api(method, &path, body).await;
    }
    let body = json!({ "body": "Still waiting." });
    let replies = format!("/threads/{thread}/posts");
    cast.alice
        .refused(StatusCode::CONFLICT, Method::POST, &replies, body)
        .await;

    // ...and through the forms, with their confirm steps.
    let at = format!("/t/{thread}");
    for action in ["unlock", "pin", "unpin", "unaccept"] {
        staff.form(&at, &format!("/t/{thread}/{action}"), &[]).await;
    }
    for (step, field) in [
        (format!("/t/{thread}/remove"), ("reason", "duplicate")),
        (
            format!("/t/{thread}/restore"),
            ("reason", "not a duplicate"),
        ),
        (format!("/t/{thread}/move"), ("board", SUPPORT)),
        (format!("/p/{reply}/remove"), ("reason", "wrong")),
        (format!("/p/{reply}/restore"), ("reason", "right after all")),
    ] {
        staff.form(&step, &step, &[field]).await;
    }

    // Suspensions and roles, each with a fresh code from the authenticator (step-up).
    let suspension = "/users/bob/suspension";
    let otp = cast.kim.totp.fresh().await;
    let body = json!({ "until": "2099-01-31", "reason": "spam", "otp": otp });
    staff.api(Method::POST, suspension, body).await;
    let replies = format!("/threads/{}/posts", made.long);
    let body = json!({ "body": "Let me post!" });
    cast.bob
        .refused(StatusCode::FORBIDDEN, Method::POST, &replies, body)
        .await;
    staff.page("/u/bob").await;
    let admin = Actor::new(app, "site_admin", Some(cast.admin.token.clone()));
    let body = json!({ "otp": cast.admin.totp.fresh().await });
    admin.api(Method::DELETE, suspension, body).await;
    let body = json!({ "role": "staff", "otp": cast.admin.totp.fresh().await });
    admin.api(Method::PUT, "/users/carol/role", body).await;
    doing("support_lee: signs in in a browser with a recovery code");
    let lee = Actor {
        browser: browser_with_2fa(app, "support_lee", &cast.lee.recovery_codes[3]).await,
        ..Actor::new(app, "support_lee", None)
    };
    let code = cast.lee.totp.fresh().await;
    let fields = [("until", "2099-01-31"), ("reason", "spam"), ("code", &code)];
    lee.form("/u/alice", "/u/alice/suspend", &fields).await;
    let code = cast.lee.totp.fresh().await;
    lee.form("/u/alice", "/u/alice/unsuspend", &[("code", &code)])
        .await;
    doing("site_owner: signs in in a browser with a recovery code");
    let owner = Actor {
        browser: browser_with_2fa(app, "site_owner", &cast.owner.recovery_codes[0]).await,
        ..Actor::new(app, "site_owner", None)
    };
    let code = cast.owner.totp.fresh().await;
    let fields = [("role", "member"), ("code", &code)];
    owner.form("/u/carol", "/u/carol/role", &fields).await;

    // The log and its older entries, the search report.
    let log = staff.get("/mod/log").await;
    let newest = id(&log["entries"][0]["id"]);
    staff.get(&format!("/mod/log?before={newest}")).await;
    staff.get("/mod/search-report?days=30").await;
    staff.page("/mod").await;
}
