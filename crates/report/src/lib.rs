//! `conduct-report`: writings made from Conduct's statistics — a localised Markdown story for
//! any force and period ([`story()`]), the answer to the standard Freedom of Information request
//! about stalking ([`foi()`]), and an HTML report with server-side SVG charts ([`html()`]).
//! Figures come from `conduct-stats`; wording rules live in [`words`].

pub mod chart;
mod error;
pub mod foi;
pub mod html;
pub mod story;
pub mod words;

pub use error::{Error, ErrorKind};
pub use foi::{FoiOptions, foi};
pub use html::html;
pub use story::{StoryOptions, story};
