//! Instructions per `get_payment` call, counted by valgrind (callgrind):
//! the SDK with a warm token, the generated client alone, and raw reqwest +
//! serde_json into the same types, against the same loopback server.
//!
//! Loopback wall times on a shared VM drift; instruction counts do not, so
//! this is the figure that shows what a change to the call path costs.
//! `cargo bench -p multicard-api-tests --bench call_instructions` runs
//! itself under valgrind once per variant, with 1 call and with 2001 calls,
//! and reports the difference per call (the server's share included, the
//! same in every variant). Without valgrind on the PATH it says so and
//! stops.

use std::process::Command;

use multicard_api::{Config, Environment, Multicard, types};
use serde_json::json;

mod loopback;
use loopback::{TOKEN, UUID, registry_body, server, small_body};

const VARIANTS: [&str; 3] = ["sdk", "generated", "raw"];
const CALLS: u64 = 2000;

fn main() {
    if let (Ok(variant), Ok(calls)) = (std::env::var("CALL_VARIANT"), std::env::var("CALL_COUNT")) {
        run(&variant, calls.parse().expect("CALL_COUNT is a number"));
        return;
    }
    if Command::new("valgrind").arg("--version").output().is_err() {
        println!("call_instructions: valgrind is not installed; nothing measured");
        return;
    }
    let me = std::env::current_exe().expect("the bench binary");
    let count = |variant: &str, calls: u64| -> u64 {
        let output = Command::new("valgrind")
            .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
            .arg(&me)
            .env("CALL_VARIANT", variant)
            .env("CALL_COUNT", calls.to_string())
            .output()
            .expect("valgrind runs");
        let log = String::from_utf8_lossy(&output.stderr);
        let collected = log
            .lines()
            .find_map(|line| line.split("Collected : ").nth(1))
            .unwrap_or_else(|| panic!("no instruction count from valgrind for {variant}:\n{log}"));
        collected.trim().parse().expect("a count")
    };
    let mut per_call = Vec::new();
    for variant in VARIANTS {
        let instructions = (count(variant, CALLS + 1) - count(variant, 1)) as f64 / CALLS as f64;
        per_call.push(instructions);
    }
    let raw = per_call[2];
    let mut report = serde_json::Map::new();
    // What a caller's future holds for one call (the attempt itself is boxed).
    let sdk = Multicard::new(Config::new("bench", "secret", Environment::Custom("http://127.0.0.1:9".into()))).unwrap();
    let future_bytes = std::mem::size_of_val(&sdk.send(|api| api.get_payment().uuid(UUID)));
    println!("get_payment, the SDK call's future: {future_bytes} bytes");
    report.insert("send_future_bytes".into(), json!(future_bytes));
    for (variant, instructions) in VARIANTS.iter().zip(&per_call) {
        println!("get_payment, {variant}: {instructions:.0} instructions per call, {:.3}x raw", instructions / raw);
        report.insert(variant.to_string(), json!(instructions));
    }
    let _ = std::fs::create_dir_all("../target/criterion");
    let _ = std::fs::write("../target/criterion/call_instructions.json", serde_json::Value::Object(report).to_string());
}

/// One run: start the server, warm the token and the connection, make
/// `calls` calls of `variant`.
fn run(variant: &str, calls: u64) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = runtime.block_on(server(small_body().into(), registry_body().into()));
    let base = format!("http://{}", server.address);
    let http = reqwest::Client::new();
    let sdk = Multicard::new(
        Config::new("bench", "secret", Environment::Custom(base.clone())).with_foreign_http_client(http.clone()),
    )
    .unwrap();
    runtime.block_on(async {
        sdk.tokens().get().await.unwrap();
        for _ in 0..calls {
            let payment = match variant {
                "sdk" => sdk.send(|api| api.get_payment().uuid(UUID)).await.unwrap(),
                "generated" => sdk.api().get_payment().uuid(UUID).send().await.unwrap().into_inner().data.unwrap(),
                _ => {
                    let response = http.get(format!("{base}/payment/{UUID}")).bearer_auth(TOKEN).send().await.unwrap();
                    let body: types::PaymentModelResponse =
                        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
                    body.data.unwrap()
                }
            };
            assert_eq!(payment.uuid, UUID);
        }
    });
}
