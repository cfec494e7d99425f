//! Records as database rows and back: the one place that says how an [`Incident`],
//! [`Involvement`] or [`Order`] is stored, for every dialect of [`crate::db`].

#[allow(unused_imports)]
use conduct_domain::{Incident, Involvement, Order};
