//! A viewer's side of a room over a real WebSocket: connect, read JSON frames, wait for one.

use super::TestApp;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// A client's room connection.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The room's WebSocket URL with `query` (e.g. `?epoch=1&offset=4`).
pub fn room_url(app: &TestApp, session: i64, query: &str) -> String {
    let base = app.base_url.replacen("http://", "ws://", 1);
    format!("{base}/api/live-sessions/{session}/room{query}")
}

/// Connects to `url`, signed in when `token` is given.
pub async fn connect_url(url: &str, token: Option<&str>) -> Socket {
    let mut request = url.into_client_request().expect("a WebSocket request");
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().expect("header value");
        request.headers_mut().insert("authorization", value);
    }
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the room accepts the connection");
    socket
}

/// Connects to a session's room.
pub async fn connect(app: &TestApp, session: i64, token: Option<&str>, query: &str) -> Socket {
    connect_url(&room_url(app, session, query), token).await
}

/// The next JSON frame (pings and pongs skipped); panics after 10 s.
pub async fn frame(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s")
            .expect("the socket is open")
            .expect("a readable frame");
        match message {
            Message::Text(text) => return serde_json::from_str(text.as_str()).expect("JSON"),
            Message::Close(close) => {
                return json!({"type": "closed", "close": format!("{close:?}")})
            }
            _ => continue,
        }
    }
}

/// Frames until one matches `wanted`; returns it.
pub async fn until(socket: &mut Socket, wanted: impl Fn(&Value) -> bool) -> Value {
    loop {
        let next = frame(socket).await;
        if wanted(&next) {
            return next;
        }
        assert_ne!(next["type"], "closed", "closed while waiting: {next}");
    }
}

/// Matches an event frame of `kind`.
pub fn is_event(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |frame| frame["type"] == "event" && frame["event"]["kind"] == kind
}

/// Sends a JSON message.
pub async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .expect("send");
}
