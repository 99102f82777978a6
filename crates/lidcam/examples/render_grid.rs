//! Writes a contact sheet: one row per fill class, one column per random
//! variation, to eyeball whether the renders look like bin photos.
//!
//! `cargo run --release -p fillroute-lidcam --example render_grid -- [OUT.png] [COLUMNS] [SEED] [FAULT]`
//! where FAULT is `none`, `blocked` or `dark`.

use fillroute_lidcam::{CameraFault, FillClasses, IMAGE_SIZE, dataset_scene, render};
use image::RgbImage;
use rayon::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .unwrap_or_else(|| "/tmp/lidcam-contact.png".into());
    let columns: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(8);
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1);
    let fault = match args.next().as_deref() {
        Some("blocked") => CameraFault::Blocked,
        Some("dark") => CameraFault::Dark,
        _ => CameraFault::None,
    };
    let classes = FillClasses::default();
    let (tile, gap) = (IMAGE_SIZE, 4);
    let rows = classes.len();
    let cells: Vec<(usize, RgbImage)> = (0..rows * columns)
        .into_par_iter()
        .map(|i| {
            let scene = dataset_scene(seed, i as u64, &classes, i / columns).with_fault(fault);
            (i, render(&scene))
        })
        .collect();
    let mut sheet = RgbImage::from_pixel(
        columns as u32 * (tile + gap),
        rows as u32 * (tile + gap),
        image::Rgb([255, 255, 255]),
    );
    for (i, img) in cells {
        let (x, y) = (
            (i % columns) as u32 * (tile + gap),
            (i / columns) as u32 * (tile + gap),
        );
        image::imageops::replace(&mut sheet, &img, i64::from(x), i64::from(y));
    }
    sheet.save(&out)?;
    println!(
        "wrote {out}: rows {:?}",
        classes
            .classes()
            .iter()
            .map(|c| &c.name)
            .collect::<Vec<_>>()
    );
    Ok(())
}
