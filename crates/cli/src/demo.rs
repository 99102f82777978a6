//! `fillroute demo`: the main job until scenario replay lands. Renders a
//! labelled set of synthetic lid-camera photos, trains the linear head on a
//! few dozen labels per class, compares it with the raw-pixel baseline,
//! reads a handful of fresh photos, and repeats the transfer test on the real
//! TrashNet photos when `../shared` is present.

use crate::vision::{BackboneArgs, TrainArgs, progress, train};
use anyhow::Result;
use clap::Args;
use fillroute_lidcam::{FillClasses, FillFraction, Scene, render_dataset, render_jpeg};
use fillroute_vision::backbone::Backbone;
use fillroute_vision::{Classifier, DecodeLimits, FillReader};
use rand::SeedableRng;
use std::path::PathBuf;

/// `demo` options.
#[derive(Args)]
pub struct DemoArgs {
    /// Working folder for rendered images and the trained model.
    #[arg(long, default_value = "out/demo")]
    pub out: PathBuf,
    /// Rendered images per fill class.
    #[arg(long, default_value_t = 80)]
    pub per_class: usize,
    /// Training labels per class.
    #[arg(long, default_value_t = 30)]
    pub labels_per_class: usize,
    /// Seed for rendering and splitting.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// TrashNet folder for the material transfer test (skipped if absent).
    #[arg(long, default_value = "../shared/datasets/trashnet-dev")]
    pub trashnet: PathBuf,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

/// Runs the demo.
pub fn run(args: DemoArgs) -> Result<()> {
    let classes = FillClasses::default();
    let data = args
        .out
        .join(format!("lidcam-seed{}-{}", args.seed, args.per_class));
    if !data.join("manifest.csv").is_file() {
        let bar = progress(args.per_class * classes.len(), "rendering");
        render_dataset(&data, args.per_class, args.seed, &classes, |done, _| {
            bar.set_position(done as u64)
        })?;
        bar.finish_and_clear();
    }
    println!(
        "== Fill level from synthetic lid-camera photos ({} per class, {} labels per class for training)",
        args.per_class, args.labels_per_class
    );
    let model_path = args.out.join("fill-model.json");
    let (model, baseline) = train(&TrainArgs {
        data: data.clone(),
        out: model_path,
        seed: args.seed,
        labels_per_class: Some(args.labels_per_class),
        baseline: true,
        backbone: args.backbone.clone(),
    })?;
    report_margin(&model, baseline);
    read_fresh_photos(model, &args)?;
    if args.trashnet.is_dir() {
        println!(
            "\n== Material transfer test on real TrashNet photos ({})",
            args.trashnet.display()
        );
        let (model, baseline) = train(&TrainArgs {
            data: args.trashnet.clone(),
            out: args.out.join("material-model.json"),
            seed: args.seed,
            labels_per_class: None,
            baseline: true,
            backbone: args.backbone.clone(),
        })?;
        report_margin(&model, baseline);
    } else {
        println!(
            "\n(TrashNet transfer test skipped: {} not found)",
            args.trashnet.display()
        );
    }
    Ok(())
}

fn report_margin(model: &Classifier, baseline: Option<f64>) {
    if let (Some(test), Some(pixels)) = (&model.metrics.test, baseline) {
        println!(
            "=> deep features {:.1} % vs raw pixels {:.1} % test accuracy ({:+.1} points)",
            test.accuracy * 100.0,
            pixels * 100.0,
            (test.accuracy - pixels) * 100.0
        );
    }
}

fn read_fresh_photos(classifier: Classifier, args: &DemoArgs) -> Result<()> {
    let mut reader = FillReader {
        backbone: Backbone::load(&args.backbone.config())?,
        classifier,
        limits: DecodeLimits::default(),
    };
    println!("\nFresh photos, never seen in training:");
    println!("  true fill  read as        p     fill  health");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed ^ 0x5eed_f00d);
    for fill in [0.05f32, 0.3, 0.55, 0.8, 0.97, 1.2] {
        let scene = Scene::random(FillFraction::saturating(fill), &mut rng);
        let jpeg = render_jpeg(&scene)?;
        if let Some(Ok(r)) = reader.read_batch(&[&jpeg])?.pop() {
            let class = &reader.classifier.classes[r.prediction.class];
            let health: Vec<&str> = r.health.iter().map(|h| h.name()).collect();
            println!(
                "  {:>8.0} %  {class:<13} {:.2}  {:>5.0} %  {}",
                fill * 100.0,
                r.prediction.probabilities[r.prediction.class],
                r.prediction.fill_fraction.unwrap_or(0.0) * 100.0,
                if health.is_empty() {
                    "ok".to_string()
                } else {
                    health.join(",")
                }
            );
        }
    }
    Ok(())
}
