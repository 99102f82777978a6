//! `fillroute vision ...`: train, evaluate and run the fill reader from the
//! command line. Every command calls the same library functions as the service.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use fillroute_vision::backbone::{Backbone, BackboneConfig, default_cache_dir};
use fillroute_vision::cache::FeatureCache;
use fillroute_vision::calibration::{Reliability, draw_reliability, softmax};
use fillroute_vision::classifier::Classifier;
use fillroute_vision::curve::{Series, draw_learning_curve};
use fillroute_vision::dataset::LabelledSet;
use fillroute_vision::extract::{Extractor, image_sha256};
use fillroute_vision::similar::SimilarityIndex;
use fillroute_vision::training::{SetFeatures, TEST_FRACTION, train_and_compare};
use fillroute_vision::{DecodeLimits, FillReader, imagenet};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

/// Vision subcommands.
#[derive(Subcommand)]
pub enum VisionCmd {
    /// Train the linear fill classifier on deep features of a labelled folder.
    Train(TrainArgs),
    /// Score a classifier on a labelled folder.
    Eval(EvalArgs),
    /// Classify images with a trained classifier.
    Classify(ClassifyArgs),
    /// Top-5 ImageNet classes, to check the backbone.
    Imagenet(ImagenetArgs),
    /// Most similar images of an indexed folder.
    Similar(SimilarArgs),
    /// Accuracy against labels per class, deep features vs raw pixels.
    LearningCurve(CurveArgs),
    /// Serve fillroute.vision.v1.VisionService over gRPC.
    Serve(fillroute_vision_server::cli::ServeArgs),
}

/// Backbone options shared by every command.
#[derive(Args, Clone)]
pub struct BackboneArgs {
    /// ONNX Runtime intra-op threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Backbone model file (default: $FILLROUTE_BACKBONE or the setup's cache).
    #[arg(long)]
    pub backbone: Option<PathBuf>,
    /// Images per backbone call.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
}

impl BackboneArgs {
    /// The backbone configuration these flags describe.
    pub fn config(&self) -> BackboneConfig {
        let mut config = BackboneConfig::from_env(self.threads);
        if let Some(path) = &self.backbone {
            config.model_path = path.clone();
        }
        config
    }

    /// Loads the backbone with a feature cache under the setup's cache dir.
    pub fn extractor(&self) -> Result<Extractor> {
        let backbone = Backbone::load(&self.config())?;
        let cache = FeatureCache::open(&default_cache_dir().join("features"), backbone.sha256())?;
        Ok(Extractor {
            backbone,
            cache: Some(cache),
            batch_size: self.batch,
            limits: DecodeLimits::default(),
        })
    }
}

/// `vision train`.
#[derive(Args)]
pub struct TrainArgs {
    /// Folder with one sub-folder of images per class.
    #[arg(long)]
    pub data: PathBuf,
    /// Where to write the classifier artifact (JSON).
    #[arg(long)]
    pub out: PathBuf,
    /// Split seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Use only this many training labels per class.
    #[arg(long)]
    pub labels_per_class: Option<usize>,
    /// Also train a raw-pixel linear baseline and report it.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub baseline: bool,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

/// `vision eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// Classifier artifact.
    #[arg(long)]
    pub model: PathBuf,
    /// Folder with one sub-folder of images per class (names must match the model's classes).
    #[arg(long)]
    pub data: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Draw the reliability diagram on this folder, with and without the
    /// artifact's temperature (PNG).
    #[arg(long)]
    pub reliability: Option<PathBuf>,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

/// Output formats.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Human-readable.
    Text,
    /// One JSON object.
    Json,
}

/// `vision classify`.
#[derive(Args)]
pub struct ClassifyArgs {
    /// Classifier artifact.
    #[arg(long)]
    pub model: PathBuf,
    /// Images to classify.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

/// `vision imagenet`.
#[derive(Args)]
pub struct ImagenetArgs {
    /// Images to check.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

/// `vision similar`.
#[derive(Args)]
pub struct SimilarArgs {
    /// Folder of images to search (searched recursively one level deep).
    #[arg(long)]
    pub index: PathBuf,
    /// Neighbours to show.
    #[arg(long, default_value_t = 5)]
    pub k: usize,
    /// The query image.
    pub image: PathBuf,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

/// `vision learning-curve`.
#[derive(Args)]
pub struct CurveArgs {
    /// Folder with one sub-folder of images per class.
    #[arg(long)]
    pub data: PathBuf,
    /// Picture to write (.png or .svg).
    #[arg(long)]
    pub out: PathBuf,
    /// Labels per class to try.
    #[arg(long, value_delimiter = ',', default_value = "2,5,10,20,40")]
    pub points: Vec<usize>,
    /// Split seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub backbone: BackboneArgs,
}

/// Runs a vision subcommand.
pub fn run(cmd: VisionCmd) -> Result<()> {
    match cmd {
        VisionCmd::Train(args) => train(&args).map(|_| ()),
        VisionCmd::Eval(args) => eval(&args),
        VisionCmd::Classify(args) => classify(&args),
        VisionCmd::Imagenet(args) => imagenet_top5(&args),
        VisionCmd::Similar(args) => similar(&args),
        VisionCmd::LearningCurve(args) => learning_curve(&args),
        VisionCmd::Serve(args) => serve(args),
    }
}

/// A progress bar on stderr (hidden when stderr is not a terminal).
pub fn progress(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

/// Extracts (cached) features of a labelled folder with a progress bar.
pub fn load_features(
    data: &Path,
    extractor: &mut Extractor,
    with_pixels: bool,
) -> Result<SetFeatures> {
    let set = LabelledSet::open(data)?;
    let bar = progress(set.items.len(), "features");
    let features = SetFeatures::load(set, extractor, with_pixels, |done| {
        bar.set_position(done as u64)
    })?;
    bar.finish_and_clear();
    Ok(features)
}

/// Trains, prints the report, saves the artifact; returns it with the baseline accuracy.
pub fn train(args: &TrainArgs) -> Result<(Classifier, Option<f64>)> {
    let mut extractor = args.backbone.extractor()?;
    let features = load_features(&args.data, &mut extractor, args.baseline)?;
    let result = train_and_compare(
        &features,
        args.seed,
        args.labels_per_class,
        extractor.backbone.sha256(),
    )?;
    let model = result.deep;
    println!(
        "trained on {} labels per class, L2 = {} ({}-fold cross-validated accuracy {}); {} test images",
        fmt_counts(&model.training.train_per_class),
        model.l2,
        model.training.cv_folds,
        model
            .metrics
            .cross_validation_accuracy
            .map_or("n/a".into(), |a| format!("{a:.3}")),
        model.training.test,
    );
    if let Some(test) = &model.metrics.test {
        println!("deep features + linear head, test set:\n{}", test.render());
    }
    let baseline = result.pixels.as_ref().map(|m| m.accuracy);
    if let Some(pixels) = &result.pixels {
        println!(
            "raw-pixel linear baseline, same split: accuracy = {:.3}, macro-F1 = {:.3}",
            pixels.accuracy, pixels.macro_f1
        );
    }
    if let Some(cal) = &model.metrics.calibration {
        println!(
            "temperature {:.3} (fitted on {} cross-validation predictions); test ECE {:.3} -> {:.3}, NLL {:.3} -> {:.3}",
            cal.temperature,
            cal.fitted_on,
            cal.before.ece,
            cal.after.ece,
            cal.before.nll,
            cal.after.nll
        );
    }
    model.save(&args.out)?;
    println!("saved {} ({})", args.out.display(), model.version);
    Ok((model, baseline))
}

fn fmt_counts(counts: &[usize]) -> String {
    let (min, max) = (
        counts.iter().min().copied().unwrap_or(0),
        counts.iter().max().copied().unwrap_or(0),
    );
    if min == max {
        min.to_string()
    } else {
        format!("{min}-{max}")
    }
}

fn eval(args: &EvalArgs) -> Result<()> {
    let mut extractor = args.backbone.extractor()?;
    let model = Classifier::load(&args.model, Some(extractor.backbone.sha256()))?;
    let features = load_features(&args.data, &mut extractor, false)?;
    // Map the folder's class names onto the model's class order.
    let mut truth = Vec::new();
    for (_, label) in &features.set.items {
        let name = &features.set.classes[*label];
        let Some(idx) = model.classes.iter().position(|c| c == name) else {
            bail!(
                "class folder `{name}` is not one of the model's classes {:?}",
                model.classes
            );
        };
        truth.push(idx);
    }
    let metrics = model.score(&features.deep, &truth);
    if let Some(out) = &args.reliability {
        // The artifact's logits are already divided by T; times T gives the raw head.
        let t = model.training.temperature.unwrap_or(1.0);
        let probs = |temperature: f64| -> Vec<Vec<f32>> {
            features
                .deep
                .iter()
                .map(|f| softmax(&model.logits(f), temperature))
                .collect()
        };
        let before = Reliability::compute(&probs(1.0 / t), &truth);
        let after = Reliability::compute(&probs(1.0), &truth);
        draw_reliability(
            out,
            &format!("Reliability on {}", args.data.display()),
            &[
                ("raw head".to_string(), &before),
                (format!("temperature {t:.2}"), &after),
            ],
        )?;
        eprintln!(
            "ECE {:.3} -> {:.3}, NLL {:.3} -> {:.3} (T = {t:.3}); wrote {}",
            before.ece,
            after.ece,
            before.nll,
            after.nll,
            out.display()
        );
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string(&metrics)?),
        Format::Text => print!("{}", metrics.render()),
    }
    Ok(())
}

fn read_reader(model: &Path, backbone: &BackboneArgs) -> Result<FillReader> {
    let backbone = Backbone::load(&backbone.config())?;
    let classifier = Classifier::load(model, Some(backbone.sha256()))?;
    Ok(FillReader {
        backbone,
        classifier,
        limits: DecodeLimits::default(),
    })
}

fn classify(args: &ClassifyArgs) -> Result<()> {
    let mut reader = read_reader(&args.model, &args.backbone)?;
    for path in &args.images {
        let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
        let reading = reader
            .read_batch(&[&bytes])?
            .pop()
            .context("one reading per image")?;
        match reading {
            Ok(r) => {
                let class = &reader.classifier.classes[r.prediction.class];
                let p = r.prediction.probabilities[r.prediction.class];
                let fill = match (r.prediction.fill_fraction, r.prediction.fill_sd) {
                    (Some(f), Some(sd)) => format!(" fill={f:.2}±{sd:.2}"),
                    _ => String::new(),
                };
                let flags: Vec<&str> = r.health.iter().map(|h| h.name()).collect();
                let flags = if flags.is_empty() {
                    String::new()
                } else {
                    format!(" health={}", flags.join(","))
                };
                println!("{}\t{class}\tp={p:.3}{fill}{flags}", path.display());
            }
            Err(e) => println!("{}\terror: {e}", path.display()),
        }
    }
    Ok(())
}

fn imagenet_top5(args: &ImagenetArgs) -> Result<()> {
    let mut extractor = args.backbone.extractor()?;
    for path in &args.images {
        let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
        let out = extractor
            .run_encoded(&[&bytes])?
            .pop()
            .context("one output per image")??;
        println!("{}", path.display());
        for (class, p) in imagenet::top_k(&out.logits, 5) {
            println!(
                "  {class:>4}  {p:.3}  {}",
                imagenet::class_name(class).unwrap_or("")
            );
        }
    }
    Ok(())
}

fn image_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    let mut depth = 0;
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| d.display().to_string())? {
            let path = entry?.path();
            if path.is_dir() && depth < 1 {
                dirs.push(path);
            } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                ["jpg", "jpeg", "png", "webp"].contains(&e.to_lowercase().as_str())
            }) {
                files.push(path);
            }
        }
        depth = 1;
    }
    files.sort();
    Ok(files)
}

fn similar(args: &SimilarArgs) -> Result<()> {
    let mut extractor = args.backbone.extractor()?;
    let files = image_files(&args.index)?;
    if files.is_empty() {
        bail!(
            "--index {}: no .jpg, .png or .webp images found",
            args.index.display()
        );
    }
    let bar = progress(files.len(), "indexing");
    let features = extractor.features_of_files(&files, |d| bar.set_position(d as u64))?;
    bar.finish_and_clear();
    let mut index = SimilarityIndex::default();
    for (path, f) in files.iter().zip(features) {
        index.add(path.display().to_string(), f);
    }
    let bytes = std::fs::read(&args.image).with_context(|| args.image.display().to_string())?;
    let query_sha = image_sha256(&bytes);
    let query = extractor
        .run_encoded(&[&bytes])?
        .pop()
        .context("one output")??;
    for (id, sim) in index.query(&query.features, args.k + 1) {
        // The query itself, if indexed, is not its own neighbour.
        if std::fs::read(&id)
            .map(|b| image_sha256(&b) == query_sha)
            .unwrap_or(false)
        {
            continue;
        }
        println!("{sim:.3}\t{id}");
    }
    Ok(())
}

/// Runs the learning curve and writes the picture; returns the series.
pub fn learning_curve(args: &CurveArgs) -> Result<()> {
    let mut extractor = args.backbone.extractor()?;
    let features = load_features(&args.data, &mut extractor, true)?;
    let sha = extractor.backbone.sha256().to_string();
    let mut deep = Series {
        label: "deep features + linear".into(),
        points: Vec::new(),
    };
    let mut pixels = Series {
        label: "raw pixels + linear".into(),
        points: Vec::new(),
    };
    println!(
        "labels/class  deep_acc  pixel_acc   (test: {:.0} % of each class)",
        TEST_FRACTION * 100.0
    );
    let bar = progress(args.points.len(), "fitting");
    for &k in &args.points {
        let r = train_and_compare(&features, args.seed, Some(k), &sha)?;
        let d = r.deep.metrics.test.as_ref().map_or(0.0, |m| m.accuracy);
        let p = r.pixels.as_ref().map_or(0.0, |m| m.accuracy);
        let actual = r
            .deep
            .training
            .train_per_class
            .iter()
            .copied()
            .max()
            .unwrap_or(k);
        bar.suspend(|| println!("{actual:>12}  {d:>8.3}  {p:>9.3}"));
        deep.points.push((actual as f64, d));
        pixels.points.push((actual as f64, p));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let title = format!(
        "Learning curve: {}",
        args.data
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("data")
    );
    draw_learning_curve(&args.out, &title, &[deep, pixels])?;
    println!(
        "wrote {} (L2 picked by cross-validation inside the training labels)",
        args.out.display()
    );
    Ok(())
}

fn serve(args: fillroute_vision_server::cli::ServeArgs) -> Result<()> {
    crate::init_logging();
    let runtime = tokio::runtime::Runtime::new()?;
    let result = runtime.block_on(fillroute_vision_server::serve(args.into_config()));
    if let Some(rss) = fillroute_vision_server::cli::peak_rss() {
        eprintln!("peak RSS (VmHWM): {rss}");
    }
    Ok(result?)
}
