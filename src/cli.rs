//! The command line: `serve`, `user create`, `user set-role`, `user reset-2fa`,
//! `search reindex`, `seed-demo`, `mod verify-log`, `db copy`. Every command but `db copy`
//! (which names both of its databases) reads the same `--database` / `DATABASE_URL`.

use std::io::{self, BufRead, IsTerminal};
use std::net::IpAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use indicatif::{ProgressBar, ProgressStyle};

use crate::actions::passwords::PasswordHasher;
use crate::actions::{accounts, copy, moderation, reindex, two_factor};
use crate::config::{DatabaseUrl, Settings};
use crate::db::Database;
use crate::demo;
use crate::domain::moderation::Break;
use crate::domain::password::Password;
use crate::domain::secretbox::SecretKey;
use crate::domain::text;
use crate::domain::throttle::LoginThrottle;
use crate::domain::user::{Role, Username};
use crate::startup::{self, Application};

#[derive(Parser)]
#[command(name = "agora", version, about = "A help-centre forum")]
struct Cli {
    /// The database: a SQLite file path, sqlite://PATH, or postgres://…
    #[arg(
        long = "database",
        env = "DATABASE_URL",
        default_value = "agora.db",
        global = true
    )]
    database: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the forum.
    Serve(ServeArgs),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Maintain the search index.
    #[command(subcommand)]
    Search(SearchCommand),
    /// Fill the database with realistic demo threads (for benchmarks and demos).
    SeedDemo(SeedArgs),
    /// Moderation tools.
    #[command(subcommand)]
    Mod(ModCommand),
    /// Move the forum between databases.
    #[command(subcommand)]
    Db(DbCommand),
}

#[derive(Subcommand)]
enum DbCommand {
    /// Copy a whole forum into an empty database (SQLite to PostgreSQL, or back), then
    /// compare the row counts of both. Stop the servers on the source first.
    Copy {
        /// The forum to copy: a SQLite path, sqlite://PATH or postgres://…
        #[arg(long)]
        from: String,
        /// The empty database to copy it into (created and migrated as needed).
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum ModCommand {
    /// Check the moderation log's hash chain; report the first entry altered or removed.
    VerifyLog,
}

#[derive(Args)]
struct SeedArgs {
    /// Threads to create.
    #[arg(long, default_value_t = 200)]
    threads: u64,
    /// Posts in all, openings included (default: 20 a thread).
    #[arg(long)]
    posts: Option<u64>,
    /// Accounts to create (default: one per 2.5 threads).
    #[arg(long)]
    users: Option<u64>,
    /// Posts of one very long thread, part of --posts.
    #[arg(long, default_value_t = 0)]
    long_thread: u64,
    /// The same seed gives the same forum.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// The key that seals the demo staff's 2FA secrets: the server's (default: the key file
    /// beside the database, created if missing).
    #[arg(long, env = "AGORA_TOTP_KEY", hide_env_values = true)]
    totp_key: Option<String>,
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Rebuild the whole index from the stored posts, while the forum keeps serving.
    Reindex,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "AGORA_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// Mark cookies Secure and send HSTS (set when served over HTTPS).
    #[arg(long, env = "AGORA_SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    secure_cookies: bool,
    /// Brand names members may not use in a username, comma-separated.
    #[arg(long, env = "AGORA_PROTECTED_NAMES", value_delimiter = ',')]
    protected_names: Vec<String>,
    /// Hosts that links in posts go to without a warning, comma-separated.
    #[arg(long, env = "AGORA_LINK_ALLOWLIST", value_delimiter = ',')]
    link_allowlist: Vec<String>,
    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "AGORA_WORKERS")]
    workers: Option<usize>,
    /// Database connections in the pool.
    #[arg(long, env = "AGORA_DB_POOL", default_value_t = 8)]
    db_pool: u32,
    /// The key that encrypts TOTP secrets: 32 bytes as 64 hex digits or base64 (default:
    /// the key file beside the database, created on first start).
    #[arg(long, env = "AGORA_TOTP_KEY", hide_env_values = true)]
    totp_key: Option<String>,
    /// Failed password or code checks allowed before an account or address is locked.
    #[arg(long, env = "AGORA_LOGIN_THROTTLE_THRESHOLD", default_value_t = 5)]
    login_throttle_threshold: u32,
    /// Seconds after which failed checks are forgotten.
    #[arg(long, env = "AGORA_LOGIN_THROTTLE_WINDOW", default_value_t = 900)]
    login_throttle_window: u32,
    /// Seconds of the first lock; each further failure doubles it.
    #[arg(long, env = "AGORA_LOGIN_THROTTLE_BASE_DELAY", default_value_t = 60)]
    login_throttle_base_delay: u32,
    /// Seconds of the longest lock.
    #[arg(long, env = "AGORA_LOGIN_THROTTLE_MAX_DELAY", default_value_t = 3600)]
    login_throttle_max_delay: u32,
    /// Addresses of the reverse proxies in front of the forum, comma-separated: requests
    /// from them are counted by the client address in X-Forwarded-For.
    #[arg(long, env = "AGORA_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<IpAddr>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account (any role; reserved names are allowed here).
    Create {
        name: String,
        #[arg(long, default_value = "member")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an account's role (member, staff or admin).
    SetRole { name: String, role: String },
    /// Turn 2FA off for a member who lost the authenticator and every recovery code (check
    /// who is asking first). Their sessions end; they log in with the password alone.
    #[command(name = "reset-2fa")]
    Reset2fa { name: String },
}

pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal: a log file or journal gets plain lines.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(io::stderr().is_terminal())
        .with_writer(io::stderr)
        .try_init();
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = DatabaseUrl::parse(&cli.database)
        .map_err(|e| e.to_string())
        .and_then(|database| actix_web::rt::System::new().block_on(execute(cli.command, database)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("agora: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command, database: DatabaseUrl) -> Result<(), String> {
    match command {
        Command::Serve(args) => serve(args, database).await,
        Command::User(UserCommand::Create {
            name,
            role,
            password_stdin,
        }) => {
            if !password_stdin {
                return Err("pass --password-stdin and the password on standard input".into());
            }
            create_user(database, &name, &role).await
        }
        Command::Search(SearchCommand::Reindex) => reindex(database),
        Command::SeedDemo(args) => seed_demo(database, args),
        Command::Mod(ModCommand::VerifyLog) => verify_log(database),
        Command::Db(DbCommand::Copy { from, to }) => copy_database(&from, &to),
        Command::User(UserCommand::SetRole { name, role }) => {
            let role = Role::parse(&role).map_err(|e| e.to_string())?;
            let db = Database::open(&database, 1).map_err(|e| e.to_string())?;
            let mut conn = db.get().map_err(|e| e.to_string())?;
            let user =
                accounts::set_role_blocking(&mut conn, &name, role).map_err(|e| describe(&e))?;
            println!("{} is now {}", user.username, user.role().as_str());
            Ok(())
        }
        Command::User(UserCommand::Reset2fa { name }) => {
            let db = Database::open(&database, 1).map_err(|e| e.to_string())?;
            let mut conn = db.get().map_err(|e| e.to_string())?;
            let user = two_factor::reset_blocking(&mut conn, &name).map_err(|e| describe(&e))?;
            println!(
                "2FA is off for {}; their sessions have ended",
                user.username
            );
            Ok(())
        }
    }
}

/// A progress bar on standard error: position, total, rate and time left.
fn progress_bar(unit: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(&format!(
        "{{bar:40}} {{pos}}/{{len}} {unit} ({{per_sec}}, {{eta}} left)"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(0).with_style(style)
}

fn verify_log(database: DatabaseUrl) -> Result<(), String> {
    let db = Database::open(&database, 1).map_err(|e| e.to_string())?;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let verdict = moderation::verify_log(&mut conn).map_err(|e| describe(&e))?;
    match verdict.first_break {
        None => {
            println!(
                "the moderation log is intact: {} entries, last hash {}",
                verdict.checked, verdict.head
            );
            Ok(())
        }
        Some(Break::Altered { id }) => Err(format!(
            "entry {id} was altered ({} entries before it are intact)",
            verdict.checked
        )),
        Some(Break::Unlinked { id }) => Err(format!(
            "entry {id} does not follow the one before it: an entry before it was removed or its link altered ({} entries before it are intact)",
            verdict.checked
        )),
    }
}

fn reindex(database: DatabaseUrl) -> Result<(), String> {
    let db = Database::open(&database, 1).map_err(|e| e.to_string())?;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    text::warm_up();
    let bar = progress_bar("posts");
    let indexed = reindex::reindex_all(&mut conn, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .map_err(|e| describe(&e))?;
    bar.finish();
    println!("indexed {indexed} visible posts");
    Ok(())
}

fn copy_database(from: &str, to: &str) -> Result<(), String> {
    let from = DatabaseUrl::parse(from).map_err(|e| format!("--from: {e}"))?;
    let to = DatabaseUrl::parse(to).map_err(|e| format!("--to: {e}"))?;
    if from == to {
        return Err("--from and --to are the same database".into());
    }
    let source = Database::open(&from, 1).map_err(|e| e.to_string())?;
    let target = Database::open(&to, 1).map_err(|e| e.to_string())?;
    let mut source = source.get().map_err(|e| e.to_string())?;
    let mut target = target.get().map_err(|e| e.to_string())?;
    text::warm_up();
    let bar = progress_bar("rows");
    let counts = copy::copy_forum(&mut source, &mut target, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .map_err(|e| e.to_string())?;
    bar.finish();
    println!(
        "copied {} to {}; every count matches:",
        from.display_safely(),
        to.display_safely()
    );
    for count in &counts {
        println!("  {:<18} {:>10}", count.what, count.target);
    }
    if let Some(key_file) = from.key_file().filter(|k| k.exists()) {
        println!(
            "TOTP secrets were sealed with the key in {}: start the servers on the new \
             database with that key (AGORA_TOTP_KEY), or nobody with 2FA can log in",
            key_file.display()
        );
    }
    Ok(())
}

fn seed_demo(database: DatabaseUrl, args: SeedArgs) -> Result<(), String> {
    let defaults = demo::Plan::for_threads(args.threads);
    let plan = demo::Plan {
        posts: args.posts.unwrap_or(defaults.posts),
        users: args.users.unwrap_or(defaults.users),
        long_thread: args.long_thread,
        seed: args.seed,
        ..defaults
    };
    let configured = match args.totp_key.as_deref() {
        Some(raw) => Some(SecretKey::parse(raw).map_err(|e| format!("AGORA_TOTP_KEY: {e}"))?),
        None => None,
    };
    let db = Database::open(&database, 1).map_err(|e| e.to_string())?;
    let key = startup::load_totp_key(configured.as_ref(), &database).map_err(|e| e.to_string())?;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    text::warm_up();
    let bar = progress_bar("posts");
    let report = demo::seed(&mut conn, &plan, &key, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .map_err(|e| describe(&e))?;
    bar.finish();
    println!(
        "created {} users, {} threads, {} posts; every demo account's password is {}",
        report.users,
        report.threads,
        report.posts,
        demo::DEMO_PASSWORD
    );
    Ok(())
}

async fn serve(args: ServeArgs, database: DatabaseUrl) -> Result<(), String> {
    let totp_key = match args.totp_key.as_deref() {
        Some(raw) => Some(SecretKey::parse(raw).map_err(|e| format!("AGORA_TOTP_KEY: {e}"))?),
        None => None,
    };
    let seconds = |s: u32| chrono::Duration::seconds(i64::from(s));
    let settings = Settings {
        totp_key,
        trusted_proxies: args.trusted_proxies,
        login_throttle: LoginThrottle {
            window: seconds(args.login_throttle_window),
            threshold: args.login_throttle_threshold,
            base_delay: seconds(args.login_throttle_base_delay),
            max_delay: seconds(args.login_throttle_max_delay),
        },
        bind: args.bind,
        database,
        secure_cookies: args.secure_cookies,
        protected_names: args.protected_names,
        link_allowlist: args.link_allowlist,
        workers: args.workers,
        db_pool_size: args.db_pool,
    };
    let app = Application::build(settings).map_err(|e| e.to_string())?;
    tracing::info!(port = app.port(), "agora is serving");
    app.run_until_stopped().await.map_err(|e| e.to_string())
}

async fn create_user(database: DatabaseUrl, name: &str, role: &str) -> Result<(), String> {
    let role = Role::parse(role).map_err(|e| e.to_string())?;
    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let password = line.trim_end_matches(['\n', '\r']);
    let name = Username::parse(name).map_err(|v| v.code.to_owned())?;
    let password = Password::parse(password, name.as_str()).map_err(|v| v.code.to_owned())?;
    let db = Database::open(&database, 2).map_err(|e| e.to_string())?;
    let user = accounts::create_user(
        &db,
        &PasswordHasher::for_this_machine(),
        name,
        password,
        role,
    )
    .await
    .map_err(|e| describe(&e))?;
    println!("created {} ({})", user.username, user.role().as_str());
    Ok(())
}

/// An error as an operator at a terminal should read it.
fn describe(error: &crate::error::AppError) -> String {
    let problem = error.problem(crate::i18n::Lang::En);
    format!("{} ({})", problem.detail, problem.code)
}
