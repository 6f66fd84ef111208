#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| modelreg_fuzz::query(data));
