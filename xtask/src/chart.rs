//! The bench report's chart: one horizontal bar per case, its time relative to its
//! group's baseline, drawn with plotters into an SVG file. The scale is logarithmic
//! when the ratios span more than a factor of 20, linear otherwise.

use std::ops::Range;
use std::path::Path;

use plotters::coord::ranged1d::{AsRangedCoord, SegmentValue, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// One bar: `group/case` and its ratio to the group's baseline.
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) ratio: f64,
}

const ROW: u32 = 18;
const FASTER: RGBColor = RGBColor(46, 139, 87);
const SLOWER: RGBColor = RGBColor(205, 92, 92);
const BASELINE: RGBColor = RGBColor(120, 120, 120);

/// Writes the chart of `bars` to `path`.
pub(crate) fn write(path: &Path, title: &str, bars: &[Bar]) -> Result<(), String> {
    let bars: Vec<&Bar> = bars
        .iter()
        .filter(|b| b.ratio.is_finite() && b.ratio > 0.0)
        .collect();
    if bars.is_empty() {
        return Err("no case has a ratio to chart".into());
    }
    let (lo, hi) = bars.iter().fold((1.0f64, 1.0f64), |(lo, hi), b| {
        (lo.min(b.ratio), hi.max(b.ratio))
    });
    if hi / lo > 20.0 {
        let x = (lo / 1.5..hi * 1.5).log_scale();
        draw(path, &format!("{title} (log scale)"), &bars, x, lo / 1.5)
    } else {
        let x: RangedCoordf64 = (0.0..hi * 1.1).into();
        draw(path, title, &bars, x, 0.0)
    }
}

fn draw<X>(path: &Path, title: &str, bars: &[&Bar], x: X, x0: f64) -> Result<(), String>
where
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let n = bars.len();
    let height = 80 + ROW * n as u32;
    let root = SVGBackend::new(path, (1000, height)).into_drawing_area();
    let err = |e: DrawingAreaErrorKind<_>| format!("drawing {}: {e}", path.display());
    root.fill(&WHITE).map_err(err)?;
    let rows: Range<usize> = 0..n;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(420)
        .build_cartesian_2d(x, rows.into_segmented())
        .map_err(err)?;
    // Row 0 is drawn at the bottom; the first bar belongs at the top.
    let row = |i: usize| n - 1 - i;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if *i < n => bars[row(*i)].label.clone(),
            _ => String::new(),
        })
        .x_desc("time per op relative to the group's baseline (below 1 is faster)")
        .x_label_formatter(&|v| match *v {
            v if v >= 10.0 => format!("{v:.0}x"),
            v if v >= 1.0 => format!("{v:.1}x"),
            v => format!("{v:.2}x"),
        })
        .draw()
        .map_err(err)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, b)| {
            let y = row(i);
            let colour = if b.ratio < 0.95 {
                FASTER
            } else if b.ratio > 1.05 {
                SLOWER
            } else {
                BASELINE
            };
            let mut bar = Rectangle::new(
                [
                    (x0, SegmentValue::Exact(y)),
                    (b.ratio, SegmentValue::Exact(y + 1)),
                ],
                colour.filled(),
            );
            bar.set_margin(3, 3, 0, 0);
            bar
        }))
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(1.0, SegmentValue::Exact(0)), (1.0, SegmentValue::Last)],
            BASELINE.stroke_width(1),
        )))
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
