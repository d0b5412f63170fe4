//! ESC/POS for 58 mm (384 dots) and 80 mm (576 dots) thermal receipt printers.
//!
//! [`EscPos`] builds a command stream under a [`PrinterProfile`]: Chinese text
//! in GB18030 with the printer in Chinese mode, bold and enlarged headings,
//! column-aligned item lines (CJK characters take two columns), QR codes
//! (`GS ( k`), raster images (`GS v 0`) sent in bands a printer buffer takes,
//! and a paper cut. No printed line is ever wider than the paper: the layout
//! wraps by display width. [`decode`] walks a stream back into commands, so
//! tests can check what a printer will do, and `onsite print` refuses to send
//! a file that does not decode.

use image::GrayImage;
use serde::{Deserialize, Serialize};
use unicode_width::UnicodeWidthChar;

const ESC: u8 = 0x1b;
const GS: u8 = 0x1d;
const FS: u8 = 0x1c;
const LF: u8 = 0x0a;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    /// Chinese printers: GB18030 with `FS &` (Chinese mode on).
    Gb18030,
    /// Printers without a Chinese font: anything outside ASCII prints as `?`.
    Ascii,
}

/// What a printer is and can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrinterProfile {
    pub name: String,
    /// Printable width in dots.
    pub dots: u32,
    /// Characters per line in font A (12×24 dots).
    pub columns: usize,
    pub encoding: TextEncoding,
    pub supports_qr: bool,
    pub supports_raster: bool,
    pub supports_cut: bool,
    /// Rows per `GS v 0` band. Cheap printers have small receive buffers and
    /// drop or garble a large image sent in one command; 24-row bands (one
    /// text line high) print on all of them.
    pub raster_band_rows: u32,
}

impl PrinterProfile {
    pub fn mm58() -> PrinterProfile {
        PrinterProfile {
            name: "58mm".into(),
            dots: 384,
            columns: 32,
            encoding: TextEncoding::Gb18030,
            supports_qr: true,
            supports_raster: true,
            supports_cut: true,
            raster_band_rows: 24,
        }
    }

    pub fn mm80() -> PrinterProfile {
        PrinterProfile {
            name: "80mm".into(),
            dots: 576,
            columns: 48,
            raster_band_rows: 48,
            ..PrinterProfile::mm58()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// Font-A columns a character takes on the printer. In Chinese mode a printer
/// prints every non-ASCII character (a two- or four-byte GB18030 code) as one
/// full-width glyph, including ones Unicode calls narrow or ambiguous (`·`,
/// `—`, `×`): counting those as one column overflowed the paper.
fn char_width(c: char) -> usize {
    if c.is_ascii() {
        c.width().unwrap_or(0)
    } else {
        2
    }
}

/// Display width of a string in font-A columns (see [`char_width`]).
pub fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Splits text into lines no wider than `cols` display columns (never inside a character).
pub fn wrap(text: &str, cols: usize) -> Vec<String> {
    let cols = cols.max(2);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut w = 0;
        for c in para.chars() {
            let cw = match c {
                '\t' => 1,
                c if c.is_control() => continue,
                c => char_width(c),
            };
            if w + cw > cols {
                lines.push(std::mem::take(&mut line));
                w = 0;
            }
            line.push(if c == '\t' { ' ' } else { c });
            w += cw;
        }
        lines.push(line);
    }
    lines
}

fn pad(s: &str, width: usize, align: Align) -> String {
    let w = display_width(s);
    let fill = width.saturating_sub(w);
    match align {
        Align::Left => format!("{s}{}", " ".repeat(fill)),
        Align::Right => format!("{}{s}", " ".repeat(fill)),
        Align::Center => format!("{}{s}{}", " ".repeat(fill / 2), " ".repeat(fill - fill / 2)),
    }
}

/// A column of an item line.
#[derive(Debug, Clone)]
pub struct Column<'a> {
    pub text: &'a str,
    pub width: usize,
    pub align: Align,
}

/// Builds an ESC/POS stream for one printer profile.
#[derive(Debug)]
pub struct EscPos {
    profile: PrinterProfile,
    out: Vec<u8>,
    chinese: bool,
    width_mult: usize,
}

impl EscPos {
    pub fn new(profile: &PrinterProfile) -> EscPos {
        EscPos {
            profile: profile.clone(),
            out: Vec::with_capacity(4096),
            chinese: false,
            width_mult: 1,
        }
    }

    pub fn profile(&self) -> &PrinterProfile {
        &self.profile
    }

    /// Columns available at the current character width.
    pub fn columns(&self) -> usize {
        self.profile.columns / self.width_mult
    }

    /// `ESC @`: reset the printer; Chinese mode follows the profile.
    pub fn init(&mut self) -> &mut Self {
        self.out.extend_from_slice(&[ESC, b'@']);
        self.width_mult = 1;
        self.chinese = false;
        if self.profile.encoding == TextEncoding::Gb18030 {
            self.chinese_mode(true);
        }
        self
    }

    /// `FS &` / `FS .`: Chinese character mode on or off.
    pub fn chinese_mode(&mut self, on: bool) -> &mut Self {
        self.out
            .extend_from_slice(&[FS, if on { b'&' } else { b'.' }]);
        self.chinese = on;
        self
    }

    /// `ESC a n`
    pub fn align(&mut self, a: Align) -> &mut Self {
        let n = match a {
            Align::Left => 0,
            Align::Center => 1,
            Align::Right => 2,
        };
        self.out.extend_from_slice(&[ESC, b'a', n]);
        self
    }

    /// `ESC E n`
    pub fn bold(&mut self, on: bool) -> &mut Self {
        self.out.extend_from_slice(&[ESC, b'E', u8::from(on)]);
        self
    }

    /// `GS ! n`: character size multipliers, clamped to 1..=8.
    pub fn size(&mut self, width: u8, height: u8) -> &mut Self {
        let (w, h) = (width.clamp(1, 8), height.clamp(1, 8));
        self.out
            .extend_from_slice(&[GS, b'!', ((w - 1) << 4) | (h - 1)]);
        self.width_mult = usize::from(w);
        self
    }

    fn encode_text(&self, s: &str) -> Vec<u8> {
        match (self.profile.encoding, self.chinese) {
            (TextEncoding::Gb18030, true) => encoding_rs::GB18030.encode(s).0.into_owned(),
            // Without a Chinese font every other character prints as one `?`;
            // the layout counted it as two columns (see [`char_width`]), so it fits.
            _ => s
                .chars()
                .filter_map(|c| {
                    if !c.is_ascii() {
                        Some(b'?')
                    } else if c.is_ascii_control() {
                        None
                    } else {
                        Some(c as u8)
                    }
                })
                .collect(),
        }
    }

    /// Prints text, wrapped to the paper at the current size, each line ending in LF.
    pub fn line(&mut self, text: &str) -> &mut Self {
        for l in wrap(text, self.columns()) {
            let bytes = self.encode_text(&l);
            self.out.extend_from_slice(&bytes);
            self.out.push(LF);
        }
        self
    }

    /// A label on the left and a value on the right of one line (wrapping when both do not fit).
    pub fn pair(&mut self, left: &str, right: &str) -> &mut Self {
        let cols = self.columns();
        let (lw, rw) = (display_width(left), display_width(right));
        if lw + 1 + rw <= cols {
            let text = format!("{left}{}{right}", " ".repeat(cols - lw - rw));
            self.line(&text)
        } else {
            self.line(left);
            let text = pad(right, cols, Align::Right);
            self.line(&text)
        }
    }

    /// Column-aligned item line: text too long for its column wraps onto
    /// following lines; the other columns stay on the first line.
    pub fn columns_line(&mut self, cols: &[Column]) -> &mut Self {
        let total = self.columns();
        // Columns wider than the paper are shrunk from the first one.
        let mut widths: Vec<usize> = cols.iter().map(|c| c.width.max(1)).collect();
        let gaps = cols.len().saturating_sub(1);
        while widths.iter().sum::<usize>() + gaps > total && widths[0] > 2 {
            widths[0] -= 1;
        }
        let wrapped: Vec<Vec<String>> = cols
            .iter()
            .zip(&widths)
            .map(|(c, w)| wrap(c.text, *w))
            .collect();
        let rows = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        for r in 0..rows {
            let mut text = String::new();
            for (i, (c, w)) in cols.iter().zip(&widths).enumerate() {
                if i > 0 {
                    text.push(' ');
                }
                let cell = wrapped[i].get(r).map_or("", String::as_str);
                text.push_str(&pad(cell, *w, c.align));
            }
            let trimmed = text.trim_end().to_string();
            self.line(&trimmed);
        }
        self
    }

    /// A full-width separator.
    pub fn rule(&mut self, c: char) -> &mut Self {
        let n = self.columns() / char_width(c).max(1);
        let text = c.to_string().repeat(n);
        self.line(&text)
    }

    /// `ESC d n`: feed n lines.
    pub fn feed(&mut self, n: u8) -> &mut Self {
        self.out.extend_from_slice(&[ESC, b'd', n]);
        self
    }

    /// A QR code (`GS ( k`: model 2, module size, error correction M, store, print).
    /// Printers without QR print the payload as text instead.
    pub fn qr(&mut self, payload: &str, module: u8) -> &mut Self {
        if !self.profile.supports_qr || payload.len() > 7000 {
            return self.line(payload);
        }
        let data = payload.as_bytes();
        let len = data.len() + 3;
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 4, 0, 49, 65, 50, 0]); // model 2
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 67, module.clamp(1, 16)]); // module size
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 69, 49]); // error correction M
        self.out.extend_from_slice(&[
            GS,
            b'(',
            b'k',
            (len % 256) as u8,
            (len / 256) as u8,
            49,
            80,
            48,
        ]);
        self.out.extend_from_slice(data);
        self.out
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 81, 48]); // print
        self
    }

    /// A raster image: scaled down to the paper if wider, thresholded with
    /// Floyd–Steinberg dithering, sent as `GS v 0` bands.
    pub fn raster(&mut self, img: &GrayImage) -> &mut Self {
        if !self.profile.supports_raster || img.width() == 0 || img.height() == 0 {
            return self;
        }
        let img: std::borrow::Cow<GrayImage> = if img.width() > self.profile.dots {
            let h = (u64::from(img.height()) * u64::from(self.profile.dots)
                / u64::from(img.width()))
            .max(1) as u32;
            std::borrow::Cow::Owned(image::imageops::resize(
                img,
                self.profile.dots,
                h,
                image::imageops::FilterType::Triangle,
            ))
        } else {
            std::borrow::Cow::Borrowed(img)
        };
        let (w, h) = img.dimensions();
        let bytes_per_row = w.div_ceil(8) as usize;
        // Floyd–Steinberg on a float copy.
        let mut px: Vec<f32> = img.pixels().map(|p| f32::from(p.0[0])).collect();
        let mut bits = vec![0u8; bytes_per_row * h as usize];
        for y in 0..h as usize {
            for x in 0..w as usize {
                let i = y * w as usize + x;
                let old = px[i];
                let black = old < 128.0;
                if black {
                    bits[y * bytes_per_row + x / 8] |= 0x80 >> (x % 8);
                }
                let err = old - if black { 0.0 } else { 255.0 };
                let mut spread = |dx: isize, dy: usize, f: f32| {
                    let nx = x as isize + dx;
                    if nx >= 0 && (nx as usize) < w as usize && y + dy < h as usize {
                        px[(y + dy) * w as usize + nx as usize] += err * f;
                    }
                };
                spread(1, 0, 7.0 / 16.0);
                spread(-1, 1, 3.0 / 16.0);
                spread(0, 1, 5.0 / 16.0);
                spread(1, 1, 1.0 / 16.0);
            }
        }
        let band = self.profile.raster_band_rows.max(1) as usize;
        for start in (0..h as usize).step_by(band) {
            let rows = band.min(h as usize - start);
            self.out.extend_from_slice(&[
                GS,
                b'v',
                b'0',
                0,
                (bytes_per_row % 256) as u8,
                (bytes_per_row / 256) as u8,
                (rows % 256) as u8,
                (rows / 256) as u8,
            ]);
            self.out
                .extend_from_slice(&bits[start * bytes_per_row..(start + rows) * bytes_per_row]);
        }
        self
    }

    /// `GS V 66 n`: feed and cut (partial).
    pub fn cut(&mut self) -> &mut Self {
        if self.profile.supports_cut {
            self.out.extend_from_slice(&[GS, b'V', 66, 3]);
        } else {
            self.feed(4);
        }
        self
    }

    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}

/// A command read back from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Init,
    ChineseMode(bool),
    Align(u8),
    Bold(bool),
    Size {
        width: u8,
        height: u8,
    },
    /// One printed line, decoded back to text.
    Text(String),
    Feed(u8),
    QrModel,
    QrModuleSize(u8),
    QrErrorCorrection(u8),
    QrStore(Vec<u8>),
    QrPrint,
    Raster {
        width_bytes: u16,
        rows: u16,
        data: Vec<u8>,
    },
    Cut,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the stream ends inside a command at byte {0}")]
    Truncated(usize),
    #[error("unknown command {0:#04x} {1:#04x} at byte {2}")]
    Unknown(u8, u8, usize),
}

/// Walks an ESC/POS stream; arbitrary bytes give an error, never a panic.
pub fn decode(bytes: &[u8]) -> Result<Vec<Command>, DecodeError> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut chinese = false;
    let mut text: Vec<u8> = Vec::new();
    let need = |i: usize, n: usize| -> Result<(), DecodeError> {
        if i + n <= bytes.len() {
            Ok(())
        } else {
            Err(DecodeError::Truncated(i))
        }
    };
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            LF => {
                let s = if chinese {
                    encoding_rs::GB18030.decode(&text).0.into_owned()
                } else {
                    String::from_utf8_lossy(&text).into_owned()
                };
                out.push(Command::Text(s));
                text.clear();
                i += 1;
            }
            ESC | GS | FS => {
                need(i, 2)?;
                let c = bytes[i + 1];
                match (b, c) {
                    (ESC, b'@') => {
                        out.push(Command::Init);
                        chinese = false;
                        i += 2;
                    }
                    (ESC, b'a') | (ESC, b'E') | (ESC, b'd') | (GS, b'!') => {
                        need(i, 3)?;
                        let n = bytes[i + 2];
                        out.push(match c {
                            b'a' => Command::Align(n),
                            b'E' => Command::Bold(n & 1 == 1),
                            b'd' => Command::Feed(n),
                            _ => Command::Size {
                                width: (n >> 4) + 1,
                                height: (n & 0x0f) + 1,
                            },
                        });
                        i += 3;
                    }
                    (FS, b'&') | (FS, b'.') => {
                        chinese = c == b'&';
                        out.push(Command::ChineseMode(chinese));
                        i += 2;
                    }
                    (GS, b'V') => {
                        need(i, 4)?;
                        out.push(Command::Cut);
                        i += 4;
                    }
                    (GS, b'(') => {
                        need(i, 5)?;
                        if bytes[i + 2] != b'k' {
                            return Err(DecodeError::Unknown(b, c, i));
                        }
                        let len = usize::from(bytes[i + 3]) | usize::from(bytes[i + 4]) << 8;
                        need(i + 5, len)?;
                        let body = &bytes[i + 5..i + 5 + len];
                        if len < 3 {
                            return Err(DecodeError::Truncated(i));
                        }
                        out.push(match body[1] {
                            65 => Command::QrModel,
                            67 => Command::QrModuleSize(body[2]),
                            69 => Command::QrErrorCorrection(body[2]),
                            80 => Command::QrStore(body[3..].to_vec()),
                            81 => Command::QrPrint,
                            _ => return Err(DecodeError::Unknown(b, body[1], i)),
                        });
                        i += 5 + len;
                    }
                    (GS, b'v') => {
                        need(i, 8)?;
                        let wb = u16::from(bytes[i + 4]) | u16::from(bytes[i + 5]) << 8;
                        let rows = u16::from(bytes[i + 6]) | u16::from(bytes[i + 7]) << 8;
                        let n = usize::from(wb) * usize::from(rows);
                        need(i + 8, n)?;
                        out.push(Command::Raster {
                            width_bytes: wb,
                            rows,
                            data: bytes[i + 8..i + 8 + n].to_vec(),
                        });
                        i += 8 + n;
                    }
                    _ => return Err(DecodeError::Unknown(b, c, i)),
                }
            }
            _ => {
                text.push(b);
                i += 1;
            }
        }
    }
    if !text.is_empty() {
        return Err(DecodeError::Truncated(bytes.len()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrow_non_ascii_character_takes_two_columns() {
        // `·` is narrow to Unicode but two bytes in GB18030: a full-width glyph on paper.
        assert_eq!(display_width("王女士 · 满意"), 14);
        assert!(wrap("·".repeat(20).as_str(), 32)
            .iter()
            .all(|l| l.chars().count() <= 16));
    }

    #[test]
    fn wrapping_counts_cjk_as_double_width() {
        let lines = wrap("维修服务工作单客户联abc", 10);
        assert!(lines.iter().all(|l| display_width(l) <= 10), "{lines:?}");
        assert_eq!(lines.concat(), "维修服务工作单客户联abc");
    }

    #[test]
    fn columns_keep_amounts_aligned_and_wrap_long_names() {
        for p in [PrinterProfile::mm58(), PrinterProfile::mm80()] {
            let mut e = EscPos::new(&p);
            e.init();
            let cols = p.columns;
            for (name, amount) in [
                ("上门检查", "¥30.00"),
                ("拆装地柜底板以及更换老化的铜芯角阀和编织软管", "¥1280.00"),
            ] {
                e.columns_line(&[
                    Column {
                        text: name,
                        width: cols - 16,
                        align: Align::Left,
                    },
                    Column {
                        text: "1次",
                        width: 5,
                        align: Align::Right,
                    },
                    Column {
                        text: amount,
                        width: 9,
                        align: Align::Right,
                    },
                ]);
            }
            let texts: Vec<String> = decode(&e.finish())
                .unwrap()
                .into_iter()
                .filter_map(|c| {
                    if let Command::Text(t) = c {
                        Some(t)
                    } else {
                        None
                    }
                })
                .collect();
            assert!(texts.len() >= 3, "the long name wraps: {texts:?}");
            let amount_lines: Vec<&String> = texts.iter().filter(|t| t.contains('¥')).collect();
            assert!(
                amount_lines.iter().all(|t| display_width(t) == cols),
                "{amount_lines:?}"
            );
            assert!(texts.iter().all(|t| display_width(t) <= cols));
        }
    }
}
