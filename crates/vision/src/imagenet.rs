//! ImageNet top-k from the backbone's logits: the sanity check that the
//! converted network still recognises what it was trained on.

/// The `k` best classes as `(class index, softmax probability)`.
pub fn top_k(logits: &[f32], k: usize) -> Vec<(usize, f32)> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let total: f32 = exp.iter().sum();
    let mut ranked: Vec<(usize, f32)> = exp.iter().map(|e| e / total).enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(k);
    ranked
}

/// Names of the few classes our checks and demos mention; others print as ids.
pub fn class_name(index: usize) -> Option<&'static str> {
    Some(match index {
        281 => "tabby cat",
        282 => "tiger cat",
        283 => "Persian cat",
        284 => "Siamese cat",
        285 => "Egyptian cat",
        287 => "lynx",
        412 => "ashcan, trash can",
        504 => "coffee mug",
        898 => "water bottle",
        899 => "water jug",
        907 => "wine bottle",
        967 => "espresso",
        968 => "cup",
        _ => return None,
    })
}
