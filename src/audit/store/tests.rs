//! Tests of the datastore.
