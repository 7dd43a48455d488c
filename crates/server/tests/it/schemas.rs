//! The OpenAPI components are named by type name alone: two `ToSchema` types of one name in
//! different modules silently replace each other in the served document (schemathesis found
//! `GoalsBody` of the universes described as the goals per region's). Names must be unique.

#[test]
fn schema_type_names_are_unique() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut seen: std::collections::HashMap<String, String> = Default::default();
    let mut dupes = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut derives_schema = false;
        for line in text.lines() {
            let l = line.trim();
            if l.starts_with("#[derive(") {
                derives_schema = l.contains("ToSchema");
                continue;
            }
            if l.starts_with("#[") || l.starts_with("///") {
                continue;
            }
            if derives_schema {
                let name = l
                    .strip_prefix("pub struct ")
                    .or_else(|| l.strip_prefix("pub enum "))
                    .or_else(|| l.strip_prefix("struct "))
                    .map(|r| {
                        r.split(|c: char| !c.is_alphanumeric() && c != '_')
                            .next()
                            .unwrap_or("")
                            .to_string()
                    });
                if let Some(n) = name {
                    let file = path.file_name().unwrap().to_string_lossy().into_owned();
                    if let Some(other) = seen.insert(n.clone(), file.clone()) {
                        dupes.push(format!("{n}: {other} and {file}"));
                    }
                }
            }
            derives_schema = false;
        }
    }
    assert!(
        seen.len() > 50,
        "the scan finds the schema types: {}",
        seen.len()
    );
    assert!(dupes.is_empty(), "ToSchema names used twice: {dupes:?}");
}
