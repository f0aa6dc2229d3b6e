//! The committed `openapi.json` is the document the code describes, so clients generated from
//! it match the server.

use serde_json::Value;

/// Where the committed document lives: the workspace root.
const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json");

#[test]
fn committed_openapi_document_is_current() {
    let text = std::fs::read_to_string(COMMITTED).unwrap_or_else(|error| {
        panic!(
            "cannot read {COMMITTED} ({error}); run `cargo run -p daihuo -- openapi > openapi.json`"
        )
    });
    let committed: Value = serde_json::from_str(&text).expect("openapi.json is JSON");
    let current = serde_json::to_value(daihuo_http::openapi()).expect("serialise the document");
    assert!(
        committed == current,
        "openapi.json is out of date with the code; run `cargo run -p daihuo -- openapi > openapi.json` \
         and commit the result"
    );
}

#[test]
fn document_lists_the_routes_of_issue_2() {
    let document = serde_json::to_value(daihuo_http::openapi()).expect("serialise the document");
    for path in [
        "/api/accounts",
        "/api/sessions",
        "/api/operator/suppliers",
        "/api/operator/skus/{id}/review",
        "/api/supplier/warehouses",
        "/api/supplier/skus",
        "/api/supplier/feeds",
        "/api/supplier/stock",
        "/api/pool",
        "/api/anchor/shelf/{sku_id}",
    ] {
        assert!(
            document["paths"][path].is_object(),
            "{path} is missing from the API document"
        );
    }
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
}

#[test]
fn document_lists_the_live_session_routes() {
    let document = serde_json::to_value(daihuo_http::openapi()).expect("serialise the document");
    for path in [
        "/api/live-sessions",
        "/api/live-sessions/{id}",
        "/api/live-sessions/{id}/items",
        "/api/live-sessions/{id}/live",
        "/api/live-sessions/{id}/end",
        "/api/live-sessions/{id}/pin",
        "/api/live-sessions/{id}/mutes",
        "/api/live-sessions/{id}/mutes/{user_id}",
        "/api/live-sessions/live",
        "/api/live-sessions/upcoming",
        "/api/me/following/sessions",
        "/api/anchors/{id}/follow",
        "/api/me/following",
        "/api/me/notifications",
        "/api/me/notifications/read",
        "/api/campaigns",
    ] {
        assert!(
            document["paths"][path].is_object(),
            "{path} is missing from the API document"
        );
    }
    // Rooms are public: reading a session asks for no credential.
    assert!(document["paths"]["/api/live-sessions/{id}"]["get"]["security"].is_null());
}
