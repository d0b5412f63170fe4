//! Collects figures and prints them as a table (and as BENCHMARKS.md).

use std::time::Duration;

pub struct Figure {
    pub name: String,
    pub value: String,
    pub baseline: String,
    /// value / baseline (lower is better unless the name says otherwise).
    pub ratio: f64,
    pub target: String,
    pub met: Option<bool>,
}

pub struct Report {
    pub figures: Vec<Figure>,
    pub notes: Vec<String>,
    quick: bool,
}

impl Report {
    pub fn new(quick: bool) -> Report {
        Report {
            figures: Vec::new(),
            notes: Vec::new(),
            quick,
        }
    }

    pub fn add(&mut self, f: Figure) {
        println!(
            "{:<58} {:>16}  baseline {:>16}  ratio {:>7}  {}",
            f.name,
            f.value,
            f.baseline,
            ratio(f.ratio),
            match f.met {
                Some(true) => format!("target {} met", f.target),
                Some(false) => format!("target {} MISSED", f.target),
                None => String::new(),
            }
        );
        self.figures.push(f);
    }

    /// Whether a note containing `part` was already added.
    pub fn has_note(&self, part: &str) -> bool {
        self.notes.iter().any(|n| n.contains(part))
    }

    pub fn note(&mut self, n: impl Into<String>) {
        let n = n.into();
        println!("  note: {n}");
        self.notes.push(n);
    }

    pub fn print(&self) {
        println!(
            "\n{} figures, {} targets missed",
            self.figures.len(),
            self.figures.iter().filter(|f| f.met == Some(false)).count()
        );
    }

    pub fn markdown(&self) -> String {
        let mut s = String::new();
        s.push_str(
            "| figure | value | baseline (same run) | ratio | target |\n|---|---:|---:|---:|---|\n",
        );
        for f in &self.figures {
            let target = match f.met {
                Some(true) => format!("{} ✅", f.target),
                Some(false) => format!("{} ❌", f.target),
                None => f.target.clone(),
            };
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                f.name,
                f.value,
                f.baseline,
                ratio(f.ratio),
                target
            ));
        }
        if !self.notes.is_empty() {
            s.push('\n');
            for n in &self.notes {
                s.push_str(&format!("- {n}\n"));
            }
        }
        if self.quick {
            s.push_str("\n(quick run: smaller sizes)\n");
        }
        s
    }
}

fn ratio(r: f64) -> String {
    if r.is_finite() {
        format!("{r:.2}")
    } else {
        "–".into()
    }
}

/// Median of `n` timed runs of `f` (after two warm-up runs).
pub fn median(n: usize, mut f: impl FnMut()) -> Duration {
    f();
    f();
    let mut times: Vec<Duration> = (0..n.max(1))
        .map(|_| {
            let t = std::time::Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

pub fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
