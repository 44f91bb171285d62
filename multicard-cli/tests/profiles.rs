//! Profiles, the guard of production, the confirmation's contents and card
//! tokens in the output, through the binary against a loopback sandbox.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use multicard_api::types;
use multicard_sandbox::{APPLICATION_ID, Fault, SECRET, Sandbox, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::{Value, json};

/// A profile file in a folder of its own, removed when dropped.
struct ProfileFile {
    dir: PathBuf,
}

impl ProfileFile {
    fn new(text: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("multicard-profiles-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.toml"), text).unwrap();
        Self { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.join("config.toml")
    }
}

impl Drop for ProfileFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `multicard` with `file` as its profile file, the sandbox's
/// application id and secret in the environment (as a user's shell might
/// have them) and `vars` on top; standard input not a terminal.
async fn run(file: &ProfileFile, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_multicard"));
    command
        .args(args)
        .env("MULTICARD_CONFIG", file.path())
        .env("MULTICARD_APPLICATION_ID", APPLICATION_ID)
        .env("MULTICARD_SECRET", SECRET)
        .env_remove("MULTICARD_BASE_URL")
        .env_remove("MULTICARD_ENV")
        .env_remove("MULTICARD_PROFILE")
        .env_remove("MULTICARD_STORE_ID")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in vars {
        command.env(name, value);
    }
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs")).await.expect("joined")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn invoice(invoice_id: &str) -> String {
    json!({
        "store_id": 6,
        "amount": 150050,
        "invoice_id": invoice_id,
        "callback_url": "https://example.invalid/cb",
        "ofd": [{"qty": 1, "price": 150050, "total": 150050, "mxik": "06401004002000000", "package_code": "1506113", "name": "Shoes"}],
    })
    .to_string()
}

/// Every request the sandbox has had, `/auth` included.
fn all_requests(sandbox: &Sandbox) -> u64 {
    sandbox.request_counts().values().sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_to_a_profile_marked_production_needs_live_and_yes_does_not_replace_it() {
    let sandbox = Sandbox::start().await.unwrap();
    let file = ProfileFile::new(&format!(
        "[profiles.live]\napplication_id = \"{APPLICATION_ID}\"\nbase_url = \"{}\"\nproduction = true\n",
        sandbox.url()
    ));

    // -y without --live: exit 2 before anything is sent, saying why.
    let refused =
        run(&file, &[], &["--profile", "live", "invoice", "create", "-y", "--body", &invoice("live-1")]).await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    let message = stderr(&refused);
    for expected in ["PRODUCTION", "--live", "--yes does not replace it", "nothing was sent", "marked production"] {
        assert!(message.contains(expected), "{expected}: {message}");
    }
    assert_eq!(all_requests(&sandbox), 0, "nothing reached the sandbox, not even /auth");

    // MULTICARD_PROFILE chooses it as well.
    let refused =
        run(&file, &[("MULTICARD_PROFILE", "live")], &["invoice", "create", "-y", "--body", &invoice("live-2")]).await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert_eq!(all_requests(&sandbox), 0);

    // --live without -y on a non-terminal: the confirmation still refuses.
    let unconfirmed =
        run(&file, &[], &["--profile", "live", "--live", "invoice", "create", "--body", &invoice("live-3")]).await;
    assert_eq!(unconfirmed.status.code(), Some(6), "{}", stderr(&unconfirmed));
    assert_eq!(all_requests(&sandbox), 0);

    // --live and -y: it goes.
    let sent = run(
        &file,
        &[],
        &["--profile", "live", "--live", "-y", "-o", "json", "invoice", "create", "--body", &invoice("live-4")],
    )
    .await;
    assert_eq!(sent.status.code(), Some(0), "{}", stderr(&sent));
    assert_eq!(sandbox.requests("create_invoice"), 1);

    // A read needs no --live; the same sandbox without the mark takes
    // writes without it.
    let read = run(&file, &[], &["--profile", "live", "-o", "json", "application", "get"]).await;
    assert_eq!(read.status.code(), Some(0), "{}", stderr(&read));
    let unmarked = ProfileFile::new(&format!("base_url = \"{}\"\n", sandbox.url()));
    let sent = run(&unmarked, &[], &["-y", "-o", "json", "invoice", "create", "--body", &invoice("live-5")]).await;
    assert_eq!(sent.status.code(), Some(0), "{}", stderr(&sent));
    assert_eq!(sandbox.requests("create_invoice"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_confirmation_shows_the_operation_ids_amounts_and_environment() {
    let sandbox = Sandbox::start().await.unwrap();
    let file = ProfileFile::new("");
    let url = sandbox.url().trim_end_matches('/').to_string();
    let body = invoice("order\u{1b}[31m-7");
    let refused = run(&file, &[("MULTICARD_BASE_URL", &url)], &["invoice", "create", "--body", &body]).await;
    assert_eq!(refused.status.code(), Some(6), "{}", stderr(&refused));
    let message = stderr(&refused);
    for expected in [
        "`multicard invoice create` (create_invoice POST /payment/invoice",
        &format!("environment {url}"),
        "store_id 6",
        "invoice_id order\\u{1b}[31m-7",
        "amount 150050 tiyin (1500.50 сум)",
        "nothing was sent",
    ] {
        assert!(message.contains(expected), "{expected}: {message}");
    }
    assert!(!message.contains('\u{1b}'), "escaped: {message:?}");

    // A path parameter is an id too; a card token is shown redacted.
    let refused =
        run(&file, &[("MULTICARD_BASE_URL", &url)], &["card", "revoke", "--card-token", "6225f3c93f7a880142782fa4"])
            .await;
    assert_eq!(refused.status.code(), Some(6), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("card_token <redacted>"), "{}", stderr(&refused));
    assert!(!stderr(&refused).contains("6225f3c9"), "{}", stderr(&refused));
    assert_eq!(all_requests(&sandbox), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_picks_the_application_and_the_store() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url();
    let file = ProfileFile::new(&format!(
        "base_url = \"{url}\"\nstore_id = 1\n\n[profiles.shop]\napplication_id = \"{APPLICATION_ID}\"\nbase_url = \
         \"{url}\"\nstore_id = \"6\"\n\n[profiles.stranger]\napplication_id = \"no_such_app\"\nbase_url = \"{url}\"\n"
    ));

    // A named profile's application id wins over MULTICARD_APPLICATION_ID:
    // the stranger's is refused by /auth (exit 3), the shop's is not.
    let stranger = run(&file, &[], &["--profile", "stranger", "-o", "json", "application", "get"]).await;
    assert_eq!(stranger.status.code(), Some(3), "{}", stderr(&stranger));
    let shop = run(&file, &[], &["--profile", "shop", "-o", "json", "application", "get"]).await;
    assert_eq!(shop.status.code(), Some(0), "{}", stderr(&shop));

    let shown = |output: &Output| -> Value {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let shop =
        shown(&run(&file, &[("MULTICARD_STORE_ID", "77")], &["--profile", "shop", "-o", "json", "profile"]).await);
    assert_eq!(shop["profile"], "shop");
    assert_eq!(shop["application_id"], APPLICATION_ID);
    assert_eq!(shop["store_id"], "6", "a named profile's store wins over MULTICARD_STORE_ID");
    assert_eq!(shop["production"], false);
    assert!(!stdout(&run(&file, &[], &["--profile", "shop", "profile"]).await).contains(SECRET));

    // The default profile: the keys at the top, under the variables.
    let default = shown(&run(&file, &[], &["-o", "json", "profile"]).await);
    assert_eq!((default["profile"].as_str(), default["store_id"].as_str()), (Some("default"), Some("1")));
    let default = shown(&run(&file, &[("MULTICARD_STORE_ID", "77")], &["-o", "json", "profile"]).await);
    assert_eq!(default["store_id"], "77");
    let chosen = shown(&run(&file, &[("MULTICARD_PROFILE", "shop")], &["-o", "json", "profile"]).await);
    assert_eq!(chosen["store_id"], "6");

    // A profile the file does not have: exit 2, naming the ones it has.
    let unknown = run(&file, &[], &["--profile", "shoop", "application", "get"]).await;
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("no profile `shoop`") && stderr(&unknown).contains("shop, stranger"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bound_cards_token_is_masked_in_every_format_unless_reveal() {
    let sandbox = Sandbox::start().await.unwrap();
    // Rows stamped ten minutes back fall inside an export's window (it
    // closes a minute ago).
    sandbox.set_clock_offset(chrono::TimeDelta::minutes(-10));
    let url = sandbox.url().to_string();
    let client = multicard_api::Multicard::new(sandbox.config()).unwrap();
    let add: types::AddCardRequest =
        serde_json::from_value(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}))
            .unwrap();
    let draft = client.send(|api| api.add_card().body(add.clone())).await.unwrap();
    let otp: types::ConfirmCardRequest = serde_json::from_value(json!({"otp": TEST_OTP})).unwrap();
    let card = client.send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone())).await;
    let token = card.unwrap().card_token;
    let pay: types::CreatePaymentRequest = serde_json::from_value(
        json!({"card": {"token": token}, "amount": 5000, "store_id": 6, "invoice_id": "masked-1"}),
    )
    .unwrap();
    client.send(|api| api.create_payment().body(pay.clone())).await.unwrap();

    let file = ProfileFile::new("");
    let vars = [("MULTICARD_BASE_URL", url.as_str())];
    let card_get = ["card", "get", "--card-token", token.as_str()];
    let now = chrono::Utc::now();
    let at = |t| multicard_api::time::MulticardDateTime::from_utc(t).to_string();
    let (from, to) = (at(now - chrono::Duration::days(1)), at(now + chrono::Duration::days(1)));
    let registry =
        ["registry", "payments", "--store-id", "6", "--offset", "0", "--limit", "10", "--from", &from, "--to", &to];
    // The sandbox's registry rows leave the card token out (production's
    // carry `card_token: null`); its page, with the token in each row, is
    // answered from here on.
    let page = run(&file, &vars, &[&["-o", "json"][..], &registry].concat()).await;
    assert_eq!(page.status.code(), Some(0), "{}", stderr(&page));
    let mut page: Value = serde_json::from_slice(&page.stdout).unwrap();
    for row in page["list"].as_array_mut().unwrap() {
        row["card_token"] = Value::String(token.clone());
    }
    let body = json!({"success": true, "data": page}).to_string();
    let answer = Fault::Respond { status: 200, content_type: "application/json".into(), body };
    sandbox.inject("list_payments", answer, 100);
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("json", [&["-o", "json"][..], &card_get].concat()),
        ("table", [&["-o", "table"][..], &card_get].concat()),
        ("registry json", [&["-o", "json"][..], &registry].concat()),
        ("registry csv", [&["-o", "csv"][..], &registry].concat()),
        ("registry ndjson --all", [&["-o", "ndjson", "--all"][..], &registry].concat()),
        ("registry csv --all", [&["-o", "csv", "--all"][..], &registry].concat()),
    ];
    for (name, args) in cases {
        let masked = run(&file, &vars, &args).await;
        assert_eq!(masked.status.code(), Some(0), "{name}: {}", stderr(&masked));
        let text = stdout(&masked);
        assert!(text.contains("<redacted>") && !text.contains(&token), "{name}: masked by default: {text}");
        let revealed = run(&file, &vars, &[&["--reveal"][..], &args].concat()).await;
        assert_eq!(revealed.status.code(), Some(0), "{name}: {}", stderr(&revealed));
        let text = stdout(&revealed);
        assert!(text.contains(&token) && !text.contains("<redacted>"), "{name}: whole with --reveal: {text}");
    }
    let json: Value =
        serde_json::from_slice(&run(&file, &vars, &[&["-o", "json"][..], &card_get].concat()).await.stdout).unwrap();
    assert_eq!(json["card_token"], "<redacted>", "{json}");
}

#[cfg(not(feature = "keyring"))]
#[test]
fn login_without_the_keyring_feature_says_where_the_secret_comes_from() {
    let output = support::multicard("http://127.0.0.1:9", &["login"], None);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    for expected in ["`keyring` feature", "MULTICARD_SECRET", "prompt"] {
        assert!(message.contains(expected), "{expected}: {message}");
    }
}

#[cfg(feature = "keyring")]
#[test]
fn login_keeps_nothing_for_the_embedded_sandbox() {
    let output = support::multicard("http://127.0.0.1:9", &["--sandbox", "login"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("needs no secret"));
}
