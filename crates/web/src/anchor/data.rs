//! `/anchor/data`: the anchor's own sessions in figures (duration, online, peak, viewers,
//! orders, GMV, conversion, average order value), newest first, each linking to its minute
//! charts (`/data/sessions/{id}`) and, once ended, its post-session report.

use crate::data::sessions_table;
use crate::page::{Page, PageError};
use crate::WebState;
use axum::extract::{Query, State};
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_service::live::ListPage;
use maud::html;
use serde::Deserialize;

/// Sessions per page.
const SESSIONS_PER_PAGE: i64 = 20;

#[derive(Deserialize)]
pub(super) struct DataQuery {
    /// Sessions to skip, newest first.
    offset: Option<i64>,
}

pub(super) async fn list(
    State(state): State<WebState>,
    page: Page,
    Query(query): Query<DataQuery>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let offset = query.offset.unwrap_or(0).max(0);
    let sessions = state
        .services
        .anchor_data_sessions(
            actor,
            ListPage {
                limit: Some(SESSIONS_PER_PAGE),
                offset: Some(offset),
            },
        )
        .await?;
    let body = html! {
        h1 { (page.t("直播数据", "Session data")) }
        p.muted { (page.t("每场的在线、观众、订单、GMV、转化率与客单价；点场次看每分钟曲线，结束后可看复盘并下载 CSV。",
            "Each session's online, viewers, orders, GMV, conversion and average order value; open one for its minute charts, and once it ended for its report and CSV.")) }
        @if sessions.items.is_empty() && offset == 0 {
            p.muted.empty { (page.t("还没有直播场次。", "No sessions yet.")) " "
                a href="/anchor/sessions" { (page.t("去排期", "Schedule one")) } }
        } @else {
            (sessions_table(&page, &sessions.items, false))
            p.row {
                @if offset > 0 {
                    a href={ "/anchor/data?offset=" ((offset - SESSIONS_PER_PAGE).max(0)) } { "← " (page.t("较新", "Newer")) }
                }
                @if let Some(next) = sessions.next_offset {
                    a href={ "/anchor/data?offset=" (next) } { (page.t("较早", "Older")) " →" }
                }
            }
        }
    };
    Ok(page.render(page.t("直播数据", "Session data"), body))
}
