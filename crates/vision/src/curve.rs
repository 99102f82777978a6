//! Learning-curve pictures: accuracy against labels per class, one line per
//! feature kind, drawn with plotters to PNG (or SVG by file extension).

use crate::error::{Result, VisionError};
use plotters::prelude::*;
use std::path::Path;

/// One line of the chart.
pub struct Series {
    /// Legend label.
    pub label: String,
    /// `(labels per class, accuracy)` points.
    pub points: Vec<(f64, f64)>,
}

pub(crate) fn register_font() -> bool {
    static DONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DONE.get_or_init(|| {
        let candidates = [
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        ];
        candidates
            .iter()
            .find_map(|p| std::fs::read(p).ok())
            .is_some_and(|bytes| {
                let leaked: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                plotters::style::register_font("sans-serif", FontStyle::Normal, leaked).is_ok()
            })
    })
}

/// Draws the series to `out` (`.svg` → SVG, anything else → PNG).
pub fn draw_learning_curve(out: &Path, title: &str, series: &[Series]) -> Result<()> {
    let err = |e: String| VisionError::io(out, std::io::Error::other(e));
    let has_font = register_font();
    if out.extension().is_some_and(|e| e == "svg") {
        draw(
            SVGBackend::new(out, (800, 500)).into_drawing_area(),
            title,
            series,
            has_font,
        )
        .map_err(err)
    } else {
        draw(
            BitMapBackend::new(out, (800, 500)).into_drawing_area(),
            title,
            series,
            has_font,
        )
        .map_err(err)
    }
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    series: &[Series],
    has_font: bool,
) -> std::result::Result<(), String> {
    {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let max_x = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .fold(1.0, f64::max);
        let mut builder = ChartBuilder::on(&root);
        builder
            .margin(20)
            .x_label_area_size(40)
            .y_label_area_size(50);
        if has_font {
            builder.caption(title, ("sans-serif", 22));
        }
        let mut chart = builder
            .build_cartesian_2d(0f64..max_x * 1.05, 0f64..1f64)
            .map_err(|e| e.to_string())?;
        let mut mesh = chart.configure_mesh();
        if has_font {
            mesh.x_desc("labelled images per class")
                .y_desc("test accuracy");
        }
        mesh.draw().map_err(|e| e.to_string())?;
        let palette = [
            RGBColor(31, 119, 180),
            RGBColor(214, 39, 40),
            RGBColor(44, 160, 44),
            RGBColor(148, 103, 189),
        ];
        for (i, s) in series.iter().enumerate() {
            let colour = palette[i % palette.len()];
            let line = chart
                .draw_series(LineSeries::new(s.points.clone(), colour.stroke_width(3)))
                .map_err(|e| e.to_string())?;
            if has_font {
                line.label(s.label.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                });
            }
            chart
                .draw_series(s.points.iter().map(|&p| Circle::new(p, 4, colour.filled())))
                .map_err(|e| e.to_string())?;
        }
        if has_font {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())
    }
}
