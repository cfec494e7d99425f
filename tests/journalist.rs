//! The journalist's path of the README (issue 16, Targets): the two Home Office files as
//! published (the recorded-crime PFA tables as `.ods`, the outcomes open data as `.xlsx`), one
//! command, a story and its charts.

use crate::util::{conduct, data, ok};

#[test]
fn two_published_files_one_command_a_story_and_its_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let (story, charts) = (tmp.path().join("merseyside.md"), tmp.path().join("charts"));
    ok(conduct()
        .args(["report", "story", "--force", "Merseyside", "--period", "year to September 2023", "--recorded"])
        .arg(data("homeoffice/recorded.ods"))
        .arg("--outcomes")
        .arg(data("homeoffice/outcomes.xlsx"))
        .arg("--out")
        .arg(&story)
        .arg("--charts")
        .arg(&charts));
    let text = std::fs::read_to_string(&story).unwrap();
    for figure in ["recorded 10,056 harassment offences", "28 a day", "49.2% of 21,994", "more than 11-fold"] {
        assert!(text.contains(figure), "the story lacks {figure:?}:\n{text}");
    }
    let mut files: Vec<String> = std::fs::read_dir(&charts).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(
        files,
        [
            "england-and-wales-outcomes.png",
            "england-and-wales-outcomes.svg",
            "england-and-wales-trend.png",
            "england-and-wales-trend.svg",
            "force-merseyside-outcomes.png",
            "force-merseyside-outcomes.svg",
            "force-merseyside-trend.png",
            "force-merseyside-trend.svg",
        ]
    );
    let svg = std::fs::read_to_string(charts.join("force-merseyside-trend.svg")).unwrap();
    assert!(svg.contains("Merseyside") && svg.contains("Source: Home Office"), "titled and sourced:\n{svg}");
    let png = std::fs::read(charts.join("force-merseyside-trend.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 1920, "publication size");
}
