//! ESC/POS text layout: any text lays out in lines that fit the paper and
//! decodes back; the ESC/POS decoder takes any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onsite_core::documents::escpos::{self, Align, Column, EscPos, PrinterProfile};

fuzz_target!(|data: &[u8]| {
    let _ = escpos::decode(data);
    let text = String::from_utf8_lossy(data);
    let (left, right) = text.split_at(text.char_indices().nth(text.chars().count() / 2).map_or(0, |(i, _)| i));
    for profile in [PrinterProfile::mm58(), PrinterProfile::mm80()] {
        for line in escpos::wrap(&text, profile.columns) {
            assert!(escpos::display_width(&line) <= profile.columns);
        }
        let mut p = EscPos::new(&profile);
        p.init().chinese_mode(true).line(left).pair(left, right);
        let width = data.first().copied().unwrap_or(8) as usize % 40;
        p.columns_line(&[
            Column { text: left, width, align: Align::Left },
            Column { text: right, width: 8, align: Align::Right },
        ]);
        p.cut();
        let bytes = p.finish();
        assert!(escpos::decode(&bytes).is_ok());
    }
});
