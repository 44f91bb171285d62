//! Typed client for the Multicard payment gateway, generated from
//! `spec/multicard.yaml` at compile time.
#![forbid(unsafe_code)]

pub mod enums {
    //! Open enums: every status, payment system and error code of the spec.
    //! A value Multicard adds later decodes as `Unknown`.
    include!(concat!(env!("OUT_DIR"), "/multicard_enums.rs"));
}
pub mod hooks;
pub mod operations;
pub mod time;

#[allow(clippy::all, missing_docs, rustdoc::all, unused_imports)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/multicard_client.rs"));
}

pub use generated::{Client, builder};
pub use progenitor_client::{Error, ResponseValue};

pub mod types {
    //! Request and response types of every operation, generated from the spec.
    pub use crate::enums::*;
    pub use crate::generated::types::*;
    pub use crate::time::MulticardDateTime;
}
