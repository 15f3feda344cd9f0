//! A real Chromium walks one member's visit through the HTML pages (tests/browser/journey.mjs)
//! and fails on any console error, CSP violation or failed request along the way.

use std::path::Path;
use std::time::{Duration, Instant};

use tokio::process::Command;

use crate::helpers::TestApp;

/// A backstop only: every browser step has its own timeout, but a wedged Chromium must not
/// hold CI until its 90-minute limit.
const JOURNEY_LIMIT: Duration = Duration::from_secs(300);

#[tokio::test]
#[ignore = "needs Chromium and node; .ci/run runs it with --ignored"]
async fn a_member_can_register_post_reply_edit_and_log_out_in_a_real_browser() {
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    // Missing tools fail rather than skip: a skipped browser test looks green in CI forever.
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "/usr/bin/chromium is missing: apt-get install -y chromium"
    );
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "tests/browser/node_modules is missing: run `npm ci` in tests/browser"
    );
    let screenshot = browser_dir.join("artifacts/thread-page.png");
    // A screenshot left by an earlier run must not stand in for this one's.
    if screenshot.exists() {
        std::fs::remove_file(&screenshot).expect("remove the old screenshot");
    }

    let app = TestApp::spawn().await;
    let started = Instant::now();
    let journey = Command::new("node")
        .arg(browser_dir.join("journey.mjs"))
        .arg(&app.base)
        .arg(&screenshot)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(JOURNEY_LIMIT, journey)
        .await
        .unwrap_or_else(|_| panic!("the browser journey took longer than {JOURNEY_LIMIT:?}"))
        .unwrap_or_else(|e| panic!("could not run `node` (is Node.js installed?): {e}"));

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser journey failed ({}) after {:.1?}\n--- stdout\n{stdout}--- stderr\n{stderr}",
        output.status,
        started.elapsed()
    );
    println!("{stdout}browser journey took {:.1?}", started.elapsed());
    assert!(
        screenshot.is_file(),
        "the journey passed but left no screenshot at {}",
        screenshot.display()
    );
}
