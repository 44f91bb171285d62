//! The fuzz targets of `fuzz/`, replayed on stable with proptest: arbitrary
//! bytes, and mutations of every example in the spec. No input may panic or
//! take long.

use std::time::Instant;

use multicard_api::fuzzing;
use multicard_api_tests::{operations, response_examples, spec};
use proptest::prelude::*;

/// Every JSON example of the spec (responses and callbacks), as bytes.
fn corpus() -> Vec<Vec<u8>> {
    let spec = spec();
    let mut out = Vec::new();
    for op in operations(&spec) {
        for example in response_examples(&op.operation) {
            out.push(match &example.value {
                serde_json::Value::String(s) => s.clone().into_bytes(),
                other => other.to_string().into_bytes(),
            });
        }
    }
    for name in ["PaymentSuccessCallback", "PaymentStatusWebhook", "CardBindingCallback"] {
        out.push(spec["components"]["schemas"][name]["example"].to_string().into_bytes());
    }
    out
}

fn run_all(data: &[u8]) {
    let started = Instant::now();
    fuzzing::expiry(data);
    fuzzing::envelope(data);
    fuzzing::responses(data);
    fuzzing::callback(data);
    assert!(started.elapsed() < fuzzing::MAX_INPUT_TIME * 4, "slow input: {:?}", started.elapsed());
}

#[test]
fn the_corpus_runs_through_every_target() {
    let corpus = corpus();
    assert!(corpus.len() > 50, "{} examples", corpus.len());
    let mut accepted = 0;
    for input in &corpus {
        run_all(input);
        accepted += fuzzing::responses(input);
    }
    assert!(accepted >= corpus.len() / 2, "most examples decode as some response type: {accepted}");
}

fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let corpus = corpus();
    (0..corpus.len(), proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 1..8)).prop_map(
        move |(pick, edits)| {
            let mut bytes = corpus[pick].clone();
            for (at, byte, kind) in edits {
                if bytes.is_empty() {
                    bytes.push(byte);
                    continue;
                }
                let at = at % bytes.len();
                match kind {
                    0 => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    2 => {
                        bytes.remove(at);
                    }
                    _ => bytes.truncate(at),
                }
            }
            bytes
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        run_all(&data);
    }

    #[test]
    fn mutated_examples_never_panic(data in mutated()) {
        run_all(&data);
    }

    #[test]
    fn expiry_like_text_never_panics(text in "[0-9]{0,5}-[0-9]{0,3}-[0-9]{0,3} [0-9]{0,3}:[0-9]{0,3}:[0-9]{0,3}\n\\PC{0,40}") {
        fuzzing::expiry(text.as_bytes());
    }
}
