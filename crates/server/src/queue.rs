//! Work that piles up while one run is busy and is then taken all at once: accepted uploads
//! waiting for the analysis. Each analysis reads every export anyway, so when one starts it
//! takes every upload waiting, and uploads arriving meanwhile wait for the next single run:
//! however many arrive, at most two analyses follow the first upload (the one running and the
//! next), not one each.

use std::sync::Mutex;

/// Items waiting, taken as one batch.
pub struct Batches<T> {
    pending: Mutex<Vec<T>>,
    notify: tokio::sync::Notify,
}

impl<T> Default for Batches<T> {
    fn default() -> Self {
        Batches { pending: Mutex::new(Vec::new()), notify: tokio::sync::Notify::new() }
    }
}

impl<T> Batches<T> {
    /// Adds an item to the next batch.
    pub fn push(&self, item: T) {
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).push(item);
        // Stores a permit if nobody waits yet, so a push between a check and a wait is not
        // missed.
        self.notify.notify_one();
    }

    /// Items waiting now.
    pub fn len(&self) -> usize {
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until something is waiting, then takes everything that is, in arrival order.
    pub async fn next(&self) -> Vec<T> {
        loop {
            {
                let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                if !p.is_empty() {
                    return std::mem::take(&mut *p);
                }
            }
            self.notify.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn uploads_arriving_during_a_run_wait_for_one_more_run() {
        let q: Arc<Batches<u32>> = Arc::default();
        let (release, hold) = tokio::sync::oneshot::channel::<()>();
        let (started, is_started) = tokio::sync::oneshot::channel::<()>();
        let worker = {
            let q = q.clone();
            tokio::spawn(async move {
                let mut runs = Vec::new();
                let mut hold = Some(hold);
                let mut started = Some(started);
                while runs.iter().map(Vec::len).sum::<usize>() < 32 {
                    let batch = q.next().await;
                    if let (Some(s), Some(h)) = (started.take(), hold.take()) {
                        // The first run is busy until the test lets it go.
                        let _ = s.send(());
                        let _ = h.await;
                    }
                    runs.push(batch);
                }
                runs
            })
        };
        q.push(0);
        is_started.await.unwrap();
        for i in 1..32 {
            q.push(i);
        }
        release.send(()).unwrap();
        let runs = worker.await.unwrap();
        assert_eq!(runs, vec![vec![0], (1..32).collect::<Vec<u32>>()], "32 uploads, two runs");
        assert!(q.is_empty());
    }
}
