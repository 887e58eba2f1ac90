use std::time::Instant;
fn main() {
    let names = ["SMITH","WILLIAM","OSULLIVAN","CHRISTOPHER","NGUYEN","MCDONALD"];
    let t = Instant::now();
    let mut n = 0;
    for i in 0..100000 { n += rphonetic::DoubleMetaphone::default().double_metaphone(names[i%6]).primary().len(); }
    println!("dm {:.3} µs", t.elapsed().as_secs_f64()*1e6/100000.0);
    let t = Instant::now();
    for i in 0..100000 { n += deunicode::deunicode(names[i%6]).len(); }
    println!("deunicode {:.3} µs", t.elapsed().as_secs_f64()*1e6/100000.0);
    let t = Instant::now();
    for i in 0..100000 { n += bluelamp_names::fold(names[i%6]).len(); }
    println!("fold {:.3} µs", t.elapsed().as_secs_f64()*1e6/100000.0);
    let t = Instant::now();
    for i in 0..10000 { n += bluelamp_names::index_keys(names[i%6], names[(i+1)%6]).len(); }
    println!("index_keys {:.3} µs {n}", t.elapsed().as_secs_f64()*1e6/10000.0);
}
