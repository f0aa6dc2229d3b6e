//! Charts as inline SVG, drawn on the server: no chart library, no script.

use maud::{html, Markup};

/// Width and height of a chart's drawing area in SVG units; it scales to its container.
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 160.0;
/// Room for the axis labels.
const MARGIN: f64 = 28.0;

/// A line chart of `points` (x labels with values), with the last value and the maximum
/// written out, so the chart reads without hovering.
pub fn line(title: &str, points: &[(String, f64)]) -> Markup {
    let max = points.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let scale = if max > 0.0 { max } else { 1.0 };
    let step = if points.len() > 1 {
        (WIDTH - 2.0 * MARGIN) / (points.len() - 1) as f64
    } else {
        0.0
    };
    let coordinates: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            (
                MARGIN + step * i as f64,
                HEIGHT - MARGIN - (v / scale) * (HEIGHT - 2.0 * MARGIN),
            )
        })
        .collect();
    let path: String = coordinates
        .iter()
        .enumerate()
        .map(|(i, (x, y))| format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" }))
        .collect();
    html! {
        figure.chart {
            figcaption { (title) }
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(title) {
                line.axis x1=(MARGIN) y1=(HEIGHT - MARGIN) x2=(WIDTH - MARGIN) y2=(HEIGHT - MARGIN) {}
                @if !path.is_empty() { path.series d=(path) {} }
                text.label x=(MARGIN) y=(MARGIN - 8.0) { "max " (format_value(max)) }
                @if let (Some((first, _)), Some((last, _))) = (points.first(), points.last()) {
                    text.label x=(MARGIN) y=(HEIGHT - 8.0) { (first) }
                    text.label.end x=(WIDTH - MARGIN) y=(HEIGHT - 8.0) { (last) }
                }
            }
        }
    }
}

/// A horizontal bar chart of labelled values, largest first as given.
pub fn bars(title: &str, rows: &[(String, f64)]) -> Markup {
    let max = rows.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let scale = if max > 0.0 { max } else { 1.0 };
    let row_height = 22.0;
    let height = row_height * rows.len().max(1) as f64 + 8.0;
    let label_width = 150.0;
    html! {
        figure.chart {
            figcaption { (title) }
            svg viewBox={ "0 0 " (WIDTH) " " (height) } role="img" aria-label=(title) {
                @for (i, (label, value)) in rows.iter().enumerate() {
                    @let y = 4.0 + row_height * i as f64;
                    text.label x="0" y=(y + 15.0) { (label) }
                    rect.bar x=(label_width) y=(y + 3.0) height=(row_height - 6.0)
                        width=(((WIDTH - label_width - 80.0) * value / scale).max(1.0)) {}
                    text.label x=(label_width + (WIDTH - label_width - 80.0) * value / scale + 6.0) y=(y + 15.0) { (format_value(*value)) }
                }
            }
        }
    }
}

fn format_value(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_chart_draws_every_point_and_states_the_maximum() {
        let svg = line(
            "GMV",
            &[
                ("20:00".into(), 1.0),
                ("20:01".into(), 4.0),
                ("20:02".into(), 2.0),
            ],
        )
        .into_string();
        assert_eq!(svg.matches(" L").count(), 2);
        assert!(svg.contains("max 4"));
        assert!(svg.contains("20:02"));
    }

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bars("regions", &[("<浙江>".into(), 10.0), ("广东".into(), 5.0)]).into_string();
        assert!(svg.contains("&lt;浙江&gt;"));
        assert_eq!(svg.matches("<rect").count(), 2);
    }
}
