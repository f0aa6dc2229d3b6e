//! `daihuo forecast eval`: the demand model's rolling-origin holdout on a CSV of real demand
//! history (docs/FORECASTING.md). This file is the edge: it reads and checks the CSV into
//! typed series, and `daihuo_domain::forecast::eval` does the pure work.
//!
//! The CSV: a header naming `series`, `period` and `units`, and optionally `price` and
//! `promo`, in any order; one row per series and period.
//! - `series`: any non-empty name (at most [`SERIES_NAME_MAX`] characters).
//! - `period`: an integer index, or an ISO date `YYYY-MM-DD` (one kind in a file); rows of
//!   a series may come in any order, and a period may appear once per series.
//! - `units`: a finite number ≥ 0.
//! - `price`: a finite number > 0 in any unit that is the same across a series, or empty
//!   when unknown.
//! - `promo`: promotion intensity from 0 to 1, or empty when unknown.
//!
//! A bad input stops with an error naming its line and a stable code ([`InputErrorCode`]).

use clap::{Args, Subcommand};
use daihuo_domain::forecast::eval::{self, Holdout, Row, Series};
use daihuo_domain::forecast::{Conditions, Observation, Settings};
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

/// The most data rows read: ten years of days for a quarter of a million series would be
/// more; an evaluation that large belongs in a batch job, not in memory here.
const ROWS_MAX: usize = 10_000_000;
/// The longest series name: names are labels, not documents.
const SERIES_NAME_MAX: usize = 200;
/// The longest horizon and season: a year of days.
const PERIODS_MAX: u64 = 366;
/// The most origins per series.
const ORIGINS_MAX: u64 = 1_000;

/// Forecast commands.
#[derive(Subcommand, Debug)]
pub enum ForecastCommand {
    /// Rolling-origin holdout of the demand model and its baselines on a CSV of demand
    /// history; prints one JSON line on stdout.
    Eval(EvalArgs),
}

/// Options of `forecast eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The CSV: series,period,units and optional price,promo columns.
    #[arg(long)]
    input: PathBuf,
    /// Periods forecast from each origin.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=PERIODS_MAX))]
    horizon: u64,
    /// Periods per season for the model and the seasonal-naive baseline (7 for days in a
    /// week, 52 for weeks in a year, 1 for none).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=PERIODS_MAX))]
    season: u64,
    /// Origins per series, counted back from its end.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=ORIGINS_MAX))]
    origins: u64,
    /// Periods between origins (default: the horizon, so test windows do not overlap).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=PERIODS_MAX))]
    step: Option<u64>,
    /// The fewest training rows a window may have (at least season + 1 in any case).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    min_train: u64,
    /// The share of outcomes the prediction interval should cover, between 0.5 and 0.99.
    #[arg(long, default_value_t = 0.8, value_parser = parse_coverage)]
    coverage: f64,
}

fn parse_coverage(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if (0.5..=0.99).contains(&value) => Ok(value),
        _ => Err(format!("must be a number from 0.5 to 0.99, got {text:?}")),
    }
}

/// Runs a forecast command.
pub fn run(command: ForecastCommand) -> anyhow::Result<()> {
    match command {
        ForecastCommand::Eval(args) => evaluate(args),
    }
}

fn evaluate(args: EvalArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let file = std::fs::File::open(&args.input).map_err(|e| InputError {
        line: None,
        code: InputErrorCode::UnreadableInput,
        message: format!("cannot open {}: {e}", args.input.display()),
    })?;
    let input = read(std::io::BufReader::new(file))?;
    let horizon = args.horizon as usize;
    let holdout = Holdout {
        horizon,
        origins: args.origins as usize,
        step: args.step.map_or(horizon, |s| s as usize),
        min_train: args.min_train as usize,
    };
    let settings = Settings {
        season: args.season as usize,
        coverage: args.coverage,
    };
    eprintln!(
        "forecast eval: {} series, {} rows from {}",
        input.series.len(),
        input.rows,
        args.input.display()
    );
    let result = eval::evaluate(&input.series, &holdout, &settings);
    if result.windows == 0 {
        return Err(InputError {
            line: None,
            code: InputErrorCode::NoWindows,
            message: format!(
                "no series is long enough for a window: one needs at least {} rows \
                 (training of max(min-train, season + 1) plus the horizon)",
                holdout.min_train.max(settings.season + 1) + horizon
            ),
        }
        .into());
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "forecast eval: {} windows of {} series in {seconds:.2} s",
        result.windows, result.series_evaluated
    );
    let line = json!({
        "input": args.input.display().to_string(),
        "series": result.series,
        "series_evaluated": result.series_evaluated,
        "rows": input.rows,
        "gaps": input.gaps,
        "covariates": input.covariates,
        "horizon": holdout.horizon,
        "season": settings.season,
        "origins": holdout.origins,
        "step": holdout.step,
        "min_train": holdout.min_train,
        "coverage_target": settings.coverage,
        "windows": result.windows,
        "points": result.points,
        "wape": result.model.wape,
        "mase": result.model.mase,
        "coverage": result.model.coverage,
        "without_covariates": result.without_covariates,
        "seasonal_naive": {
            "season": settings.season,
            "wape": result.seasonal_naive.wape,
            "mase": result.seasonal_naive.mase,
        },
        "naive": result.naive,
        "seconds": seconds,
    });
    println!("{line}");
    Ok(())
}

/// Why an input was refused; the code is stable for scripts and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputErrorCode {
    /// The file cannot be opened or read.
    UnreadableInput,
    /// No header, or no data rows.
    EmptyInput,
    /// A required column (`series`, `period`, `units`) is missing from the header.
    MissingColumn,
    /// The header names a column this format does not have.
    UnknownColumn,
    /// The header names a column twice.
    DuplicateColumn,
    /// A row is not valid CSV or has a different number of fields than the header.
    BadRow,
    /// A series name is empty or too long.
    BadSeries,
    /// A period is neither an integer nor an ISO date, or the file mixes the two.
    BadPeriod,
    /// A series has the same period twice.
    DuplicatePeriod,
    /// Units are not a finite number of at least 0.
    BadUnits,
    /// A price is not a finite number above 0.
    BadPrice,
    /// A promotion intensity is not a finite number from 0 to 1.
    BadPromo,
    /// The file has more rows than [`ROWS_MAX`].
    TooManyRows,
    /// No series is long enough for one holdout window.
    NoWindows,
}

impl InputErrorCode {
    /// The stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Self::UnreadableInput => "unreadable_input",
            Self::EmptyInput => "empty_input",
            Self::MissingColumn => "missing_column",
            Self::UnknownColumn => "unknown_column",
            Self::DuplicateColumn => "duplicate_column",
            Self::BadRow => "bad_row",
            Self::BadSeries => "bad_series",
            Self::BadPeriod => "bad_period",
            Self::DuplicatePeriod => "duplicate_period",
            Self::BadUnits => "bad_units",
            Self::BadPrice => "bad_price",
            Self::BadPromo => "bad_promo",
            Self::TooManyRows => "too_many_rows",
            Self::NoWindows => "no_windows",
        }
    }
}

/// A refused input: where, why (the stable code) and what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The 1-based line of the CSV, when the error belongs to one.
    pub line: Option<u64>,
    /// Why, stably.
    pub code: InputErrorCode,
    /// What is wrong, for a person.
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        write!(f, "{} ({})", self.message, self.code.code())
    }
}

impl std::error::Error for InputError {}

fn refuse(line: u64, code: InputErrorCode, message: String) -> InputError {
    InputError {
        line: Some(line),
        code,
        message,
    }
}

/// A checked input.
#[derive(Debug)]
pub struct Input {
    /// Series in order of first appearance, rows in period order.
    pub series: Vec<Series>,
    /// Data rows read.
    pub rows: usize,
    /// Places where a series skips periods (a step longer than its shortest step).
    pub gaps: usize,
    /// The optional columns present: `price`, `promo`.
    pub covariates: Vec<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PeriodKind {
    Index,
    Date,
}

/// A row as read: its period, its line in the file and what it says.
type ReadRow = (i64, u64, Observation);

/// Positions of the header's columns.
struct Columns {
    series: usize,
    period: usize,
    units: usize,
    price: Option<usize>,
    promo: Option<usize>,
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> Result<Self, InputError> {
        let mut found: HashMap<&'static str, usize> = HashMap::new();
        for (position, name) in header.iter().enumerate() {
            let known = ["series", "period", "units", "price", "promo"]
                .into_iter()
                .find(|k| k.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    refuse(
                        1,
                        InputErrorCode::UnknownColumn,
                        format!(
                            "unknown column {name:?}: the columns are series, period, units \
                             and optionally price and promo"
                        ),
                    )
                })?;
            if found.insert(known, position).is_some() {
                return Err(refuse(
                    1,
                    InputErrorCode::DuplicateColumn,
                    format!("column {known} appears twice"),
                ));
            }
        }
        let required = |name: &'static str| {
            found.get(name).copied().ok_or_else(|| {
                refuse(
                    1,
                    InputErrorCode::MissingColumn,
                    format!("the header has no {name} column (it needs series, period, units)"),
                )
            })
        };
        Ok(Self {
            series: required("series")?,
            period: required("period")?,
            units: required("units")?,
            price: found.get("price").copied(),
            promo: found.get("promo").copied(),
        })
    }
}

/// Reads and checks the CSV into series.
pub fn read(reader: impl std::io::Read) -> Result<Input, InputError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let header = csv.headers().map_err(|e| csv_error(&e))?.clone();
    if header.is_empty() || header.iter().all(str::is_empty) {
        return Err(refuse(
            1,
            InputErrorCode::EmptyInput,
            "the file is empty: it needs a header series,period,units".into(),
        ));
    }
    let columns = Columns::from_header(&header)?;
    let mut kind: Option<PeriodKind> = None;
    let mut positions: HashMap<String, usize> = HashMap::new();
    // Per series, its rows in file order, sorted later.
    let mut collected: Vec<(String, Vec<ReadRow>)> = Vec::new();
    let mut rows = 0usize;
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(&e)),
        }
        let line = record.position().map_or(0, |p| p.line());
        rows += 1;
        if rows > ROWS_MAX {
            return Err(refuse(
                line,
                InputErrorCode::TooManyRows,
                format!("more than {ROWS_MAX} rows"),
            ));
        }
        let name = &record[columns.series];
        if name.is_empty() || name.chars().count() > SERIES_NAME_MAX {
            return Err(refuse(
                line,
                InputErrorCode::BadSeries,
                format!("series must be a name of 1 to {SERIES_NAME_MAX} characters"),
            ));
        }
        let (period, this_kind) = parse_period(&record[columns.period]).ok_or_else(|| {
            refuse(
                line,
                InputErrorCode::BadPeriod,
                format!(
                    "period must be an integer or an ISO date (YYYY-MM-DD), got {:?}",
                    &record[columns.period]
                ),
            )
        })?;
        match kind {
            None => kind = Some(this_kind),
            Some(k) if k != this_kind => {
                return Err(refuse(
                    line,
                    InputErrorCode::BadPeriod,
                    format!(
                        "period {:?} is {} but earlier periods are {}: use one kind in a file",
                        &record[columns.period],
                        describe(this_kind),
                        describe(k)
                    ),
                ))
            }
            Some(_) => {}
        }
        let units = parse_number(&record[columns.units])
            .filter(|u| *u >= 0.0)
            .ok_or_else(|| {
                refuse(
                    line,
                    InputErrorCode::BadUnits,
                    format!(
                        "units must be a number of at least 0, got {:?}",
                        &record[columns.units]
                    ),
                )
            })?;
        let price = optional(&record, columns.price, |p| p > 0.0).map_err(|text| {
            refuse(
                line,
                InputErrorCode::BadPrice,
                format!("price must be a number above 0 or empty, got {text:?}"),
            )
        })?;
        let promo =
            optional(&record, columns.promo, |p| (0.0..=1.0).contains(&p)).map_err(|text| {
                refuse(
                    line,
                    InputErrorCode::BadPromo,
                    format!("promo must be a number from 0 to 1 or empty, got {text:?}"),
                )
            })?;
        let index = *positions.entry(name.to_owned()).or_insert_with(|| {
            collected.push((name.to_owned(), Vec::new()));
            collected.len() - 1
        });
        collected[index].1.push((
            period,
            line,
            Observation {
                units,
                conditions: Conditions { price, promo },
            },
        ));
    }
    if rows == 0 {
        return Err(refuse(
            2,
            InputErrorCode::EmptyInput,
            "the file has a header but no rows".into(),
        ));
    }
    let mut series = Vec::with_capacity(collected.len());
    let mut gaps = 0;
    for (id, mut rows) in collected {
        rows.sort_by_key(|(period, line, _)| (*period, *line));
        if let Some(pair) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(refuse(
                pair[1].1,
                InputErrorCode::DuplicatePeriod,
                format!(
                    "series {id:?} has period {} twice (also on line {})",
                    pair[1].0, pair[0].1
                ),
            ));
        }
        let steps: Vec<i64> = rows.windows(2).map(|w| w[1].0 - w[0].0).collect();
        if let Some(shortest) = steps.iter().min() {
            gaps += steps.iter().filter(|s| *s > shortest).count();
        }
        series.push(Series {
            id,
            rows: rows
                .into_iter()
                .map(|(period, _, observation)| Row {
                    period,
                    observation,
                })
                .collect(),
        });
    }
    let mut covariates = Vec::new();
    if columns.price.is_some() {
        covariates.push("price");
    }
    if columns.promo.is_some() {
        covariates.push("promo");
    }
    Ok(Input {
        series,
        rows,
        gaps,
        covariates,
    })
}

fn csv_error(error: &csv::Error) -> InputError {
    InputError {
        line: error.position().map(|p| p.line()),
        code: InputErrorCode::BadRow,
        message: match error.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("the row has {len} fields but the header has {expected_len}"),
            csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8".into(),
            csv::ErrorKind::Io(e) => format!("cannot read the file: {e}"),
            _ => format!("not valid CSV: {error}"),
        },
    }
}

fn describe(kind: PeriodKind) -> &'static str {
    match kind {
        PeriodKind::Index => "an integer",
        PeriodKind::Date => "a date",
    }
}

fn parse_number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// An optional column's value: `Ok(None)` when the column is absent or the cell empty; the
/// cell's text as the error when it is not a finite number that `valid` accepts.
fn optional(
    record: &csv::StringRecord,
    column: Option<usize>,
    valid: impl Fn(f64) -> bool,
) -> Result<Option<f64>, String> {
    let Some(text) = column.map(|c| &record[c]) else {
        return Ok(None);
    };
    if text.is_empty() {
        return Ok(None);
    }
    match parse_number(text) {
        Some(value) if valid(value) => Ok(Some(value)),
        _ => Err(text.to_owned()),
    }
}

/// An integer period as is, or an ISO date as days since 1970-01-01.
fn parse_period(text: &str) -> Option<(i64, PeriodKind)> {
    if let Ok(index) = text.parse::<i64>() {
        return Some((index, PeriodKind::Index));
    }
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = &text[range];
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=month_days).contains(&day) {
        return None;
    }
    Some((days_from_civil(year, month, day), PeriodKind::Date))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the era arithmetic of the civil
/// calendar: 400-year eras of 146,097 days, years starting in March).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> (Option<u64>, &'static str) {
        let error = read(text.as_bytes()).expect_err("refused");
        (error.line, error.code.code())
    }

    #[test]
    fn dates_count_days_from_the_epoch() {
        assert_eq!(parse_period("1970-01-01"), Some((0, PeriodKind::Date)));
        assert_eq!(parse_period("1997-01-01"), Some((9_862, PeriodKind::Date)));
        assert_eq!(parse_period("2000-03-01"), Some((11_017, PeriodKind::Date)));
        assert_eq!(parse_period("2024-02-29").map(|p| p.0), Some(19_782));
        assert_eq!(parse_period("2023-02-29"), None);
        assert_eq!(parse_period("1997-13-01"), None);
        assert_eq!(parse_period("-5"), Some((-5, PeriodKind::Index)));
        assert_eq!(parse_period("1997-1-1"), None);
    }

    #[test]
    fn reads_series_in_period_order_and_counts_gaps() {
        let input = read(
            "series,period,units,promo\na,3,5,\nb,1,1,0.5\na,1,4,1\na,2,6,0\nb,4,2,\n".as_bytes(),
        )
        .expect("valid");
        assert_eq!(input.rows, 5);
        assert_eq!(input.covariates, ["promo"]);
        assert_eq!(input.series[0].id, "a");
        let periods: Vec<i64> = input.series[0].rows.iter().map(|r| r.period).collect();
        assert_eq!(periods, [1, 2, 3]);
        assert_eq!(
            input.series[0].rows[0].observation.conditions.promo,
            Some(1.0)
        );
        assert_eq!(input.series[0].rows[2].observation.conditions.promo, None);
        // b skips from 1 to 4 but has a single step, so it is its own shortest: no gap.
        assert_eq!(input.gaps, 0);
        let gapped = read("series,period,units\na,1,1\na,2,1\na,5,1\n".as_bytes()).expect("valid");
        assert_eq!(gapped.gaps, 1);
    }

    #[test]
    fn refuses_bad_input_with_its_line_and_code() {
        assert_eq!(code(""), (Some(1), "empty_input"));
        assert_eq!(code("series,period,units\n"), (Some(2), "empty_input"));
        assert_eq!(code("series,period\na,1\n"), (Some(1), "missing_column"));
        assert_eq!(
            code("series,period,units,colour\n"),
            (Some(1), "unknown_column")
        );
        assert_eq!(
            code("series,period,units,units\n"),
            (Some(1), "duplicate_column")
        );
        assert_eq!(
            code("series,period,units\na,1,1\na,2\n"),
            (Some(3), "bad_row")
        );
        assert_eq!(code("series,period,units\n,1,1\n"), (Some(2), "bad_series"));
        assert_eq!(
            code("series,period,units\na,monday,1\n"),
            (Some(2), "bad_period")
        );
        assert_eq!(
            code("series,period,units\na,1,1\na,1997-01-02,1\n"),
            (Some(3), "bad_period")
        );
        assert_eq!(
            code("series,period,units\na,1,1\nb,1,1\na,1,2\n"),
            (Some(4), "duplicate_period")
        );
        assert_eq!(
            code("series,period,units\na,1,-1\n"),
            (Some(2), "bad_units")
        );
        assert_eq!(
            code("series,period,units\na,1,NaN\n"),
            (Some(2), "bad_units")
        );
        assert_eq!(
            code("series,period,units,price\na,1,1,0\n"),
            (Some(2), "bad_price")
        );
        assert_eq!(
            code("series,period,units,promo\na,1,1,1.5\n"),
            (Some(2), "bad_promo")
        );
    }

    #[test]
    fn the_message_carries_the_line_and_the_code() {
        let error = read("series,period,units\na,1,x\n".as_bytes()).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "line 2: units must be a number of at least 0, got \"x\" (bad_units)"
        );
    }
}
