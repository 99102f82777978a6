//! Server-side micro-batching. An ONNX Runtime session runs one call at a
//! time (`&mut`), and a batch of 16 costs far less per image than 16 calls of
//! one, so a dedicated thread owns each [`FillReader`] (one by default). Handlers put
//! each image on a bounded queue with a one-shot reply; the thread takes the
//! first waiting image, gathers more for at most `max_wait` or until it has
//! `max_batch`, runs one `read_batch` and answers each caller. A full queue is
//! refused at once (`RESOURCE_EXHAUSTED`) rather than letting latency grow
//! without bound, and an image whose caller's deadline has passed is dropped
//! before it costs inference time. Decoding runs on a small pool owned by
//! the batcher (`read_batch` is data-parallel through rayon), sized apart
//! from ONNX Runtime's threads.

use crate::error::ServiceError;
use fillroute_vision::{FillReader, Reading};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How the batcher gathers and bounds work.
#[derive(Debug, Clone, Copy)]
pub struct BatchPolicy {
    /// Images per `read_batch`, at most.
    pub max_batch: usize,
    /// How long to wait for more images after the first.
    pub max_wait: Duration,
    /// Requests that may wait; one more is refused.
    pub queue_capacity: usize,
    /// Threads that decode and preprocess each batch.
    pub decode_threads: usize,
}

/// One image's reading, and how long it waited for its batch.
#[derive(Debug, Clone)]
pub struct Served {
    /// The reader's output for this image.
    pub reading: Reading,
    /// Time from enqueue to the start of its batch.
    pub queue_us: u32,
}

struct Job {
    image: Vec<u8>,
    enqueued: Instant,
    deadline: Option<Instant>,
    reply: oneshot::Sender<Result<Served, ServiceError>>,
}

/// Cheap, cloneable handle that submits images to the inference thread.
#[derive(Clone)]
pub struct Batcher {
    queue: SyncSender<Job>,
    capacity: usize,
}

/// The JPEG decoder fills a cut-short scan with grey rather than fail, and a
/// reading of half a photo is a wrong fill: a JPEG must end with its
/// end-of-image marker (trailing zero padding aside), as ingest requires.
fn whole_jpeg(image: &[u8]) -> Result<(), ServiceError> {
    if image.starts_with(&[0xFF, 0xD8]) {
        let end = image.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        if !image[..end].ends_with(&[0xFF, 0xD9]) {
            return Err(ServiceError::BadImage(
                "`image`: the JPEG has no end-of-image marker (FF D9), so the file is cut short; send the whole file".into(),
            ));
        }
    }
    Ok(())
}

impl Batcher {
    /// Moves each reader onto its own inference thread; the threads take
    /// turns gathering batches from one queue, so one can gather while
    /// another runs ONNX Runtime. They share one pool of `decode_threads`
    /// and end when the last handle is dropped.
    pub fn start(
        readers: Vec<FillReader>,
        policy: BatchPolicy,
    ) -> std::io::Result<(Self, Vec<JoinHandle<()>>)> {
        let (queue, jobs) = sync_channel(policy.queue_capacity);
        let jobs = Arc::new(Mutex::new(jobs));
        let decoders = Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(policy.decode_threads.max(1))
                .thread_name(|i| format!("vision-decode-{i}"))
                .build()
                .map_err(std::io::Error::other)?,
        );
        let workers = readers
            .into_iter()
            .enumerate()
            .map(|(i, reader)| {
                let (jobs, decoders) = (Arc::clone(&jobs), Arc::clone(&decoders));
                std::thread::Builder::new()
                    .name(format!("vision-inference-{i}"))
                    .spawn(move || inference_loop(reader, &jobs, &decoders, policy))
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok((
            Self {
                queue,
                capacity: policy.queue_capacity,
            },
            workers,
        ))
    }

    /// Reads one encoded image, batched with whatever else is waiting.
    /// `deadline` is the caller's; past it the answer is `DeadlineExceeded`.
    pub async fn read(
        &self,
        image: Vec<u8>,
        deadline: Option<Instant>,
    ) -> Result<Served, ServiceError> {
        whole_jpeg(&image)?;
        let (reply, answer) = oneshot::channel();
        let enqueued = Instant::now();
        self.queue
            .try_send(Job {
                image,
                enqueued,
                deadline,
                reply,
            })
            .map_err(|e| match e {
                TrySendError::Full(_) => ServiceError::QueueFull {
                    capacity: self.capacity,
                },
                TrySendError::Disconnected(_) => {
                    ServiceError::Unavailable("the inference thread has stopped".into())
                }
            })?;
        let answer = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline.into(), answer)
                .await
                .map_err(|_| ServiceError::DeadlineExceeded {
                    waited_ms: enqueued.elapsed().as_millis() as u64,
                })?,
            None => answer.await,
        };
        answer.map_err(|_| {
            ServiceError::Unavailable("the inference thread dropped the request".into())
        })?
    }
}

fn inference_loop(
    mut reader: FillReader,
    jobs: &Mutex<Receiver<Job>>,
    decoders: &rayon::ThreadPool,
    policy: BatchPolicy,
) {
    let mut batch = Vec::with_capacity(policy.max_batch);
    while gather(jobs, &mut batch, policy) {
        run_batch(&mut reader, decoders, &mut batch);
    }
    tracing::debug!("inference thread stopped");
}

/// Holds the queue while it waits for a first job, then gathers more for at
/// most `max_wait` or until the batch is full. False once the server has
/// stopped (every handle dropped) or another worker panicked holding the queue.
fn gather(jobs: &Mutex<Receiver<Job>>, batch: &mut Vec<Job>, policy: BatchPolicy) -> bool {
    let Ok(jobs) = jobs.lock() else { return false };
    let Ok(first) = jobs.recv() else { return false };
    batch.push(first);
    let gather_until = Instant::now() + policy.max_wait;
    while batch.len() < policy.max_batch {
        let wait = gather_until.saturating_duration_since(Instant::now());
        match jobs.recv_timeout(wait) {
            Ok(job) => batch.push(job),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
        }
    }
    true
}

fn micros(d: Duration) -> u32 {
    d.as_micros().min(u128::from(u32::MAX)) as u32
}

/// Answers every job in `batch` (leaving it empty) with one `read_batch`.
fn run_batch(reader: &mut FillReader, decoders: &rayon::ThreadPool, batch: &mut Vec<Job>) {
    let started = Instant::now();
    let mut live = Vec::with_capacity(batch.len());
    for job in batch.drain(..) {
        if job.reply.is_closed() {
            continue; // the caller gave up (cancelled or timed out by the transport)
        }
        if job.deadline.is_some_and(|d| d <= started) {
            let waited_ms = started.duration_since(job.enqueued).as_millis() as u64;
            let _ = job
                .reply
                .send(Err(ServiceError::DeadlineExceeded { waited_ms }));
            continue;
        }
        live.push(job);
    }
    if live.is_empty() {
        return;
    }
    let outcome = {
        let images: Vec<&[u8]> = live.iter().map(|j| j.image.as_slice()).collect();
        // A panic inside decoding or ONNX Runtime fails this batch, not the server.
        catch_unwind(AssertUnwindSafe(|| {
            decoders.install(|| reader.read_batch(&images))
        }))
    };
    match outcome {
        Ok(Ok(readings)) => {
            for (job, reading) in live.into_iter().zip(readings) {
                let queue_us = micros(started.duration_since(job.enqueued));
                let _ = job.reply.send(
                    reading
                        .map(|reading| Served { reading, queue_us })
                        .map_err(ServiceError::from),
                );
            }
        }
        Ok(Err(e)) => {
            let e = ServiceError::from(e);
            tracing::error!(error = %e, images = live.len(), "batch failed");
            for job in live {
                let _ = job.reply.send(Err(e.clone()));
            }
        }
        Err(_) => {
            tracing::error!(images = live.len(), "batch panicked");
            for job in live {
                let _ = job.reply.send(Err(ServiceError::Internal(
                    "inference panicked on this batch".into(),
                )));
            }
        }
    }
}
