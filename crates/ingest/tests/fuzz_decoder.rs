//! Fuzzing the upload decoder (issue 18): whatever bytes a device sends,
//! `photo::decodes` answers Ok or an `image` field error with the fix, never
//! panics, and never allocates past the pixel limit. This test binary holds
//! nothing else, so its peak resident memory is the decoder's.
//!
//! Three generators: random bytes behind each format's magic, byte edits of
//! real JPEG, PNG and WebP files (flips, cuts, splices), and PNG headers that
//! declare any size. The case counts are printed (`--nocapture`);
//! `PROPTEST_CASES` scales them.
#![allow(clippy::unwrap_used, missing_docs)]

use fillroute_ingest::IngestError;
use fillroute_ingest::photo::decodes;
use image::{ImageFormat, Rgb, RgbImage};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};

/// The pixel limit under test: 4 Mpx, so a refused bomb would have needed
/// far more than the memory bound below.
const MAX_PIXELS: u64 = 4 << 20;

/// Peak resident memory the whole binary may reach, MiB: a 4 Mpx RGBA
/// buffer is 16 MiB, the test harness and proptest's shrinking a few more.
const PEAK_MIB: u64 = 256;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        // Found cases are kept below as named tests, not in a side file.
        failure_persistence: None,
        ..Config::default()
    })
}

fn encoded(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 7) as u8, (y * 3) as u8, (x ^ y) as u8])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

/// What the decoder must do with any bytes: return, and when it refuses,
/// name the `image` field and what to send.
fn check(bytes: &[u8]) -> bool {
    match decodes(bytes, MAX_PIXELS) {
        Ok(()) => true,
        Err(IngestError::Invalid { field, fix, .. }) => {
            assert_eq!(field, "image");
            assert!(
                fix.contains("JPEG, PNG or WebP") || fix.contains("pixels"),
                "{fix}"
            );
            false
        }
        Err(other) => panic!("not a field error: {other}"),
    }
}

/// A PNG whose header declares `width` x `height` and whose data is a few
/// zero rows: what a pixel bomb looks like.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(data);
        let crc = crc32fast::hash(&out[start..]);
        out.extend(crc.to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    // A stored (uncompressed) zlib stream of one zero row.
    let row = vec![0u8; (width as usize).min(4096) * 3 + 1];
    let mut idat = vec![0x78, 0x01, 0x01];
    idat.extend((row.len() as u16).to_le_bytes());
    idat.extend((!(row.len() as u16)).to_le_bytes());
    idat.extend(&row);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

#[test]
fn any_bytes_decode_or_are_refused_naming_the_image_field_within_bounded_memory() {
    let seeds = [
        encoded(ImageFormat::Jpeg, 64, 48),
        encoded(ImageFormat::Png, 64, 48),
        encoded(ImageFormat::WebP, 64, 48),
    ];
    let tried = AtomicU64::new(0);
    let decoded = AtomicU64::new(0);
    let count = |ok: bool| {
        tried.fetch_add(1, Ordering::Relaxed);
        if ok {
            decoded.fetch_add(1, Ordering::Relaxed);
        }
    };

    // 1. Random bytes behind each format's magic (and none).
    let magic: [&[u8]; 4] = [
        b"\xFF\xD8\xFF",
        b"\x89PNG\r\n\x1a\n",
        b"RIFF\0\0\0\0WEBPVP8 ",
        b"",
    ];
    runner(cases(3000))
        .run(
            &(
                0..magic.len(),
                proptest::collection::vec(any::<u8>(), 0..2048),
            ),
            |(m, tail)| {
                let mut bytes = magic[m].to_vec();
                bytes.extend(tail);
                count(check(&bytes));
                Ok(())
            },
        )
        .unwrap();

    // 2. Byte edits of real files: flips, a cut, a splice of another file.
    runner(cases(3000))
        .run(
            &(
                0..seeds.len(),
                proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..16),
                proptest::option::of(any::<prop::sample::Index>()),
                proptest::option::of((any::<prop::sample::Index>(), 0..seeds.len())),
            ),
            |(s, flips, cut, splice)| {
                let mut bytes = seeds[s].clone();
                for (at, value) in flips {
                    let i = at.index(bytes.len());
                    bytes[i] = value;
                }
                if let Some((at, other)) = splice {
                    let i = at.index(bytes.len());
                    bytes.truncate(i);
                    bytes.extend(&seeds[other][i.min(seeds[other].len())..]);
                }
                if let Some(at) = cut {
                    bytes.truncate(at.index(bytes.len() + 1));
                }
                count(check(&bytes));
                Ok(())
            },
        )
        .unwrap();

    // 3. PNG headers declaring any size, bombs included.
    runner(cases(1000))
        .run(&(any::<u32>(), any::<u32>()), |(w, h)| {
            let ok = check(&png_declaring(w, h));
            prop_assert!(!ok || u64::from(w) * u64::from(h) <= MAX_PIXELS);
            count(ok);
            Ok(())
        })
        .unwrap();

    let peak = peak_rss_mib();
    println!(
        "decoder fuzzing: {} inputs tried, {} decoded, peak RSS {peak} MiB",
        tried.load(Ordering::Relaxed),
        decoded.load(Ordering::Relaxed)
    );
    assert!(peak < PEAK_MIB, "peak RSS {peak} MiB over {PEAK_MIB} MiB");
}

#[test]
fn a_png_declaring_four_billion_pixels_is_refused_before_any_pixel_is_read() {
    let e = decodes(&png_declaring(65_536, 65_536), MAX_PIXELS).unwrap_err();
    assert!(e.to_string().contains("65536x65536"), "{e}");
}
