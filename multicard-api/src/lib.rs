//! Typed client for the Multicard payment gateway, generated from
//! `spec/multicard.yaml` at compile time.
#![forbid(unsafe_code)]

pub mod enums {
    //! Open enums: every status, payment system and error code of the spec.
    //! A value Multicard adds later decodes as `Unknown`.
    include!(concat!(env!("OUT_DIR"), "/multicard_enums.rs"));
}
pub mod time;

#[allow(clippy::all, missing_docs, rustdoc::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/multicard_client.rs"));
}

pub use generated::{Client, Error, ResponseValue, builder};

pub mod types {
    //! Request and response types of every operation, generated from the spec.
    pub use crate::enums::*;
    pub use crate::generated::types::*;
    pub use crate::time::MulticardDateTime;
}
