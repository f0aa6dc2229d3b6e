//! The room connection: WebSocket (with the viewer's comments and likes on the same socket)
//! and a Server-Sent Events fallback (comments and likes then go by POST). Both carry the
//! same JSON frames from the room hub; this module only moves them.

use crate::auth::{Auth, MaybeAuth};
use crate::error::ErrorBody;
use crate::routes::JsonBody;
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use daihuo_domain::LiveSessionId;
use daihuo_room::protocol::error_frame;
use daihuo_room::{ClientMessage, Closed, Position, Subscription};
use daihuo_service::{Actor, ServiceError, Services};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use socket::{Incoming, ReadError, Socket, Upgrade};
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod socket;

/// A batch of frames that cannot be written within this long means the viewer's network is
/// gone or stalled: the connection is closed, and the viewer may resume elsewhere.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection that sends nothing (not even a ping) for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(room_socket))
        .routes(routes!(room_events))
        .routes(routes!(post_comment))
        .routes(routes!(delete_comment))
        .routes(routes!(post_likes))
        .routes(routes!(post_notice))
}

/// How a viewer joins: where to resume from, and an anonymous client's own id.
#[derive(Debug, Deserialize, IntoParams)]
pub struct JoinQuery {
    /// The epoch of the last event received (with `offset`, asks to resume).
    pub epoch: Option<u64>,
    /// The last offset received.
    pub offset: Option<u64>,
    /// An anonymous client's stable id, 8 to 64 letters, digits, `-` or `_`.
    pub visitor: Option<String>,
}

impl JoinQuery {
    fn resume(&self) -> Result<Option<Position>, ApiError> {
        match (self.epoch, self.offset) {
            (Some(epoch), Some(offset)) => Ok(Some(Position { epoch, offset })),
            (None, None) => Ok(None),
            _ => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_resume",
                "resume needs both epoch and offset",
            )),
        }
    }
}

/// Opens the room over WebSocket. The first frame is a `snapshot` (or `resumed`), then
/// `event`, `skipped` and `counters` frames follow; the client may send `comment`, `like`
/// and `ping` messages. Errors before the upgrade are ordinary coded JSON errors.
#[utoipa::path(get, path = "/api/live-sessions/{id}/room", tag = "room", params(("id" = i64, Path), JoinQuery),
    responses((status = 101, description = "switching to the WebSocket protocol"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn room_socket(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<JoinQuery>,
    MaybeAuth(actor): MaybeAuth,
    upgrade: Upgrade,
) -> Result<Response, ApiError> {
    let subscription = state
        .services
        .join_room(
            actor.as_ref(),
            LiveSessionId(id),
            query.visitor.as_deref(),
            query.resume()?,
        )
        .await?;
    let services = state.services.clone();
    Ok(upgrade.on_upgrade(move |socket| drive_socket(socket, subscription, services, actor)))
}

/// Moves frames to the socket and the viewer's messages to the hub until either side ends.
///
/// This future lives as long as the viewer watches, and its size (the largest of its
/// states) is held for all that time by every viewer: whatever is large and rare (handling
/// a viewer's message goes to the database) is boxed, so it costs only while it runs.
async fn drive_socket(
    mut socket: Socket,
    mut subscription: Subscription,
    services: Services,
    actor: Option<Actor>,
) {
    let session_id = subscription.session_id();
    let idle = tokio::time::sleep(IDLE_TIMEOUT);
    tokio::pin!(idle);
    let mut messages = Vec::new();
    loop {
        tokio::select! {
            frames = subscription.next() => {
                let frames = match frames {
                    Ok(frames) => frames,
                    Err(closed) => {
                        close(socket, closed).await;
                        return;
                    }
                };
                match tokio::time::timeout(SEND_TIMEOUT, socket.send_text(&frames)).await {
                    Ok(Ok(())) => {}
                    _ => return,
                }
            }
            read = socket.fill() => {
                idle.as_mut().reset(tokio::time::Instant::now() + IDLE_TIMEOUT);
                let taken = read.and_then(|()| socket.messages(&mut messages));
                if let Err(error) = taken {
                    if let ReadError::Protocol(error) = error {
                        socket.close(error.close_code(), "protocol error").await;
                    }
                    return;
                }
                for message in messages.drain(..) {
                    let refusal = match message {
                        Incoming::Text(text) => {
                            Box::pin(handle_message(&services, actor.as_ref(), session_id, &text)).await
                        }
                        Incoming::Binary => Some(error_frame("bad_message", "messages are JSON text")),
                        Incoming::Ping(payload) => {
                            if socket.pong(&payload).await.is_err() {
                                return;
                            }
                            None
                        }
                        Incoming::Close(_) => {
                            socket.close(1000, "").await;
                            return;
                        }
                    };
                    if let Some(refusal) = refusal {
                        let sent = tokio::time::timeout(SEND_TIMEOUT, socket.send_text(&[refusal])).await;
                        if !matches!(sent, Ok(Ok(()))) {
                            return;
                        }
                    }
                }
                // Give back what a burst of messages took.
                if messages.capacity() > 0 {
                    messages = Vec::new();
                }
            }
            () = &mut idle => {
                socket.close(4008, "idle").await;
                return;
            }
        }
    }
}

/// Closes with a 4xxx code named after why the subscription ended.
async fn close(socket: Socket, closed: Closed) {
    let code = match closed {
        Closed::SlowConsumer => 4001,
        Closed::SessionEnded => 4002,
        Closed::RoomClosed => 4003,
    };
    let _ = tokio::time::timeout(SEND_TIMEOUT, socket.close(code, closed.code())).await;
}

/// Handles one viewer message; returns an error frame if it was refused.
async fn handle_message(
    services: &Services,
    actor: Option<&Actor>,
    session_id: LiveSessionId,
    text: &str,
) -> Option<bytes::Bytes> {
    let message = match serde_json::from_str::<ClientMessage>(text) {
        Ok(message) => message,
        Err(_) => {
            return Some(error_frame(
                "bad_message",
                "expected {\"type\":\"comment\",\"text\":…}, {\"type\":\"like\",\"count\":…} or {\"type\":\"ping\"}",
            ))
        }
    };
    let result = match (message, actor) {
        (ClientMessage::Ping {}, _) => Ok(()),
        (_, None) => Err(ServiceError::Unauthenticated),
        (ClientMessage::Comment { text }, Some(actor)) => services
            .room_comment(actor, session_id, &text)
            .await
            .map(|_| ()),
        (ClientMessage::Like { count }, Some(actor)) => {
            services.room_like(actor, session_id, count).await
        }
    };
    result
        .err()
        .map(|error| error_frame(error.code(), &error.to_string()))
}

/// The room as Server-Sent Events, for clients that cannot open a WebSocket. Each message's
/// data is one frame as the WebSocket sends it; the last event of each batch carries the id
/// `epoch:offset`, so a reconnecting `EventSource` resumes through `Last-Event-ID`.
#[utoipa::path(get, path = "/api/live-sessions/{id}/room/events", tag = "room", params(("id" = i64, Path), JoinQuery),
    responses((status = 200, description = "text/event-stream of room frames"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn room_events(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<JoinQuery>,
    MaybeAuth(actor): MaybeAuth,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let resume = match query.resume()? {
        Some(position) => Some(position),
        None => headers
            .get("last-event-id")
            .and_then(|value| value.to_str().ok())
            .and_then(parse_event_id),
    };
    let subscription = state
        .services
        .join_room(
            actor.as_ref(),
            LiveSessionId(id),
            query.visitor.as_deref(),
            resume,
        )
        .await?;
    let stream = futures_util::stream::unfold(Some(subscription), |subscription| async move {
        let mut subscription = subscription?;
        match subscription.next().await {
            Ok(frames) => {
                let position = subscription.position();
                let last = frames.len().saturating_sub(1);
                let events: Vec<Result<Event, std::convert::Infallible>> = frames
                    .into_iter()
                    .enumerate()
                    .map(|(index, frame)| {
                        let data = String::from_utf8_lossy(&frame).into_owned();
                        let event = Event::default().data(data);
                        Ok(if index == last {
                            event.id(format!("{}:{}", position.epoch, position.offset))
                        } else {
                            event
                        })
                    })
                    .collect();
                Some((futures_util::stream::iter(events), Some(subscription)))
            }
            Err(closed) => {
                let data = error_frame(closed.code(), "the room connection ended");
                let event = Event::default()
                    .event("closing")
                    .data(String::from_utf8_lossy(&data));
                Some((futures_util::stream::iter(vec![Ok(event)]), None))
            }
        }
    })
    .flatten();
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

fn parse_event_id(id: &str) -> Option<Position> {
    let (epoch, offset) = id.split_once(':')?;
    Some(Position {
        epoch: epoch.parse().ok()?,
        offset: offset.parse().ok()?,
    })
}

/// A comment sent without a WebSocket.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CommentInput {
    /// The text: 1 to 200 characters, checked against the banned-words list.
    pub text: String,
}

/// Where a room event landed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Published {
    /// Its offset in the room (a comment's id).
    pub offset: u64,
}

/// Posts a comment to the room (for SSE clients; WebSocket clients send it on the socket).
#[utoipa::path(post, path = "/api/live-sessions/{id}/comments", tag = "room", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CommentInput,
    responses((status = 201, body = Published), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn post_comment(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<CommentInput>,
) -> Result<(StatusCode, Json<Published>), ApiError> {
    let offset = state
        .services
        .room_comment(&actor, LiveSessionId(id), &input.text)
        .await?;
    Ok((StatusCode::CREATED, Json(Published { offset })))
}

/// Removes a comment (the session's anchor or an operator); viewers get `comment_deleted`.
#[utoipa::path(delete, path = "/api/live-sessions/{id}/comments/{offset}", tag = "room", security(("bearer" = [])),
    params(("id" = i64, Path), ("offset" = u64, Path)),
    responses((status = 200, body = Published), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_comment(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, offset)): Path<(i64, u64)>,
) -> Result<Json<Published>, ApiError> {
    let offset = state
        .services
        .delete_comment(&actor, LiveSessionId(id), offset)
        .await?;
    Ok(Json(Published { offset }))
}

/// Likes sent without a WebSocket.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LikeInput {
    /// Taps in this message, 1 to 100.
    pub count: u32,
}

/// Adds likes; viewers see the coalesced total within a quarter of a second.
#[utoipa::path(post, path = "/api/live-sessions/{id}/likes", tag = "room", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = LikeInput,
    responses((status = 204), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn post_likes(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<LikeInput>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .room_like(&actor, LiveSessionId(id), input.count)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An operator's notice to a room.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NoticeInput {
    /// The text, 1 to 200 characters.
    pub text: String,
    /// The sender's clock, Unix microseconds (load clients measure latency from it); the
    /// server's clock when absent.
    pub sent_at_us: Option<u64>,
}

/// Sends an operator's notice to everyone in the room.
#[utoipa::path(post, path = "/api/live-sessions/{id}/notices", tag = "room", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NoticeInput,
    responses((status = 201, body = Published), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_notice(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<NoticeInput>,
) -> Result<(StatusCode, Json<Published>), ApiError> {
    let sent_at_us = input.sent_at_us.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_micros() as u64)
            .unwrap_or(0)
    });
    let offset = state
        .services
        .room_notice(&actor, LiveSessionId(id), &input.text, sent_at_us)
        .await?;
    Ok((StatusCode::CREATED, Json(Published { offset })))
}
