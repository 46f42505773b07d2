//! Printable documents: a title and lines of Chinese (or any) text laid out on A4 pages as a
//! PDF, with an optional diagonal watermark on every page. It knows nothing of cases or
//! agreements; it is given text and gives bytes.
//!
//! The text is set in two fonts built into the binary (`fonts/README.md` says where they come
//! from and how they were cut): Droid Sans Fallback (Apache License 2.0) cut to the GB 2312
//! characters and CJK punctuation, and Arimo (SIL Open Font License 1.1) cut to Latin letters,
//! digits and punctuation, which the CJK font lacks. Each PDF embeds only the glyphs it uses
//! (`subsetter`), each font as a CID font with a ToUnicode map, so the text can be copied and
//! searched. A character neither font has prints as an empty box but still copies as itself.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;

/// Latin letters, digits and punctuation (see the crate's documentation).
pub const LATIN_FONT: &[u8] = include_bytes!("../fonts/Arimo-Latin.ttf");
/// The GB 2312 characters and CJK punctuation (see the crate's documentation).
pub const CJK_FONT: &[u8] = include_bytes!("../fonts/DroidSansFallback-GB2312.ttf");

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 64.0;
const TITLE_SIZE: f32 = 20.0;
const BODY_SIZE: f32 = 12.0;
const LEADING: f32 = 1.7;
const WATERMARK_SIZE: f32 = 80.0;

/// What a document holds: a title centred on the first page, then lines of text, each wrapped
/// to the page's width (a line that is empty leaves a gap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub lines: Vec<String>,
    /// Printed large, light and diagonal under the text of every page (草稿 for a draft).
    pub watermark: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("an embedded font does not read: {0}")]
    Font(String),
    #[error("a font could not be cut to the document's glyphs: {0}")]
    Subset(String),
}

/// One character as set: the font it is set in (an index into [`Fonts`]), its glyph there,
/// and its advance at 1 unit of font size.
#[derive(Debug, Clone, Copy)]
struct Glyph {
    ch: char,
    font: usize,
    id: u16,
    advance: f32,
}

/// One embedded font and the metrics the layout and the font dictionaries need.
struct Font {
    data: &'static [u8],
    face: ttf_parser::Face<'static>,
    units_per_em: f32,
    /// The name in each page's resources, and the PostScript name with a subset tag.
    resource: Name<'static>,
    base_font: Name<'static>,
}

impl Font {
    fn new(data: &'static [u8], resource: &'static [u8], base_font: &'static [u8]) -> Result<Font, Error> {
        let face = ttf_parser::Face::parse(data, 0).map_err(|e| Error::Font(e.to_string()))?;
        let units_per_em = f32::from(face.units_per_em());
        Ok(Font { data, face, units_per_em, resource: Name(resource), base_font: Name(base_font) })
    }

    fn advance(&self, id: u16) -> f32 {
        self.face.glyph_hor_advance(ttf_parser::GlyphId(id)).map_or(self.units_per_em, f32::from) / self.units_per_em
    }

    /// In thousandths of the font size, as PDF font dictionaries measure.
    fn scaled(&self, units: i16) -> f32 {
        f32::from(units) * 1000.0 / self.units_per_em
    }
}

/// The fonts in the order a character is looked for: Latin first, then CJK; a character
/// neither has is the CJK font's .notdef.
struct Fonts([Font; 2]);

impl Fonts {
    fn new() -> Result<Fonts, Error> {
        Ok(Fonts([
            Font::new(LATIN_FONT, b"F1", b"MEDLAT+Arimo")?,
            Font::new(CJK_FONT, b"F2", b"MEDCJK+DroidSansFallback")?,
        ]))
    }

    fn glyph(&self, ch: char) -> Glyph {
        let found = self.0.iter().enumerate().find_map(|(font, f)| f.face.glyph_index(ch).map(|g| (font, g.0)));
        let (font, id) = found.unwrap_or((self.0.len() - 1, 0));
        Glyph { ch, font, id, advance: self.0[font].advance(id) }
    }

    fn glyphs(&self, text: &str) -> Vec<Glyph> {
        text.chars().filter(|c| !c.is_control()).map(|c| self.glyph(c)).collect()
    }
}

/// A line as placed on a page: its glyphs, where it starts and at what size.
struct Placed {
    glyphs: Vec<Glyph>,
    x: f32,
    y: f32,
    size: f32,
}

/// Marks that must not start a line (Chinese typesetting hangs them at the end of the line
/// before, a little past the margin).
const NO_LINE_START: &str = "，。、；：！？）」』》〉】,.;:!?)";

/// Breaks `glyphs` into lines no wider than `width` at `size`. Chinese breaks anywhere but
/// before a closing mark; a run of Latin letters or digits is carried to the next line whole
/// when a line is full.
fn wrap(glyphs: &[Glyph], size: f32, width: f32) -> Vec<Vec<Glyph>> {
    let mut lines = Vec::new();
    let mut line: Vec<Glyph> = Vec::new();
    let mut used = 0.0;
    for glyph in glyphs {
        let advance = glyph.advance * size;
        if used + advance > width && !line.is_empty() && !NO_LINE_START.contains(glyph.ch) {
            let word_start = line.iter().rposition(|g| !g.ch.is_ascii_alphanumeric()).map_or(0, |p| p + 1);
            let carried: Vec<Glyph> = if glyph.ch.is_ascii_alphanumeric() && word_start > 0 {
                line.split_off(word_start)
            } else {
                Vec::new()
            };
            lines.push(std::mem::take(&mut line));
            used = carried.iter().map(|g| g.advance * size).sum();
            line = carried;
        }
        line.push(*glyph);
        used += advance;
    }
    lines.push(line);
    lines
}

/// Lays the document out into pages of placed lines.
fn lay_out(doc: &Document, fonts: &Fonts) -> Vec<Vec<Placed>> {
    let width = PAGE_WIDTH - 2.0 * MARGIN;
    let mut pages = vec![Vec::new()];
    let mut y = PAGE_HEIGHT - MARGIN - TITLE_SIZE;
    for line in wrap(&fonts.glyphs(&doc.title), TITLE_SIZE, width) {
        let line_width: f32 = line.iter().map(|g| g.advance * TITLE_SIZE).sum();
        pages[0].push(Placed { glyphs: line, x: (PAGE_WIDTH - line_width) / 2.0, y, size: TITLE_SIZE });
        y -= TITLE_SIZE * LEADING;
    }
    y -= BODY_SIZE;
    for text in &doc.lines {
        for line in wrap(&fonts.glyphs(text), BODY_SIZE, width) {
            if y < MARGIN {
                pages.push(Vec::new());
                y = PAGE_HEIGHT - MARGIN - BODY_SIZE;
            }
            pages.last_mut().expect("a page").push(Placed { glyphs: line, x: MARGIN, y, size: BODY_SIZE });
            y -= BODY_SIZE * LEADING;
        }
    }
    pages
}

/// What one font contributes to a document: its glyphs renumbered for the cut-down font, and
/// the character each stands for (for the ToUnicode map).
struct Used {
    remapper: GlyphRemapper,
    chars: BTreeMap<u16, char>,
}

impl Used {
    fn new() -> Used {
        let mut remapper = GlyphRemapper::new();
        // .notdef first, as fonts need.
        remapper.remap(0);
        Used { remapper, chars: BTreeMap::new() }
    }
}

/// Shows `glyphs` from where the text position is, switching fonts between runs.
fn show(content: &mut Content, glyphs: &[Glyph], size: f32, fonts: &Fonts, used: &[Used]) {
    for run in glyphs.chunk_by(|a, b| a.font == b.font) {
        let font = run[0].font;
        let bytes: Vec<u8> =
            run.iter().flat_map(|g| used[font].remapper.get(g.id).unwrap_or(0).to_be_bytes()).collect();
        content.set_font(fonts.0[font].resource, size).show(Str(&bytes));
    }
}

/// Writes one font as a Type0 font over a CIDFontType2 with the glyphs the document uses.
fn write_font(pdf: &mut Pdf, font: &Font, used: &Used, alloc: &mut impl FnMut() -> Ref) -> Result<Ref, Error> {
    let (type0, cid, descriptor, file, cmap) = (alloc(), alloc(), alloc(), alloc(), alloc());
    let data = subsetter::subset(font.data, 0, &used.remapper).map_err(|e| Error::Subset(e.to_string()))?;
    pdf.type0_font(type0)
        .base_font(font.base_font)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    let system_info = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
    let mut cid_font = pdf.cid_font(cid);
    cid_font
        .subtype(CidFontType::Type2)
        .base_font(font.base_font)
        .system_info(system_info)
        .font_descriptor(descriptor)
        .default_width(1000.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    {
        let mut widths = cid_font.widths();
        for &old in used.chars.keys() {
            widths.consecutive(used.remapper.get(old).unwrap_or(0), [font.advance(old) * 1000.0]);
        }
    }
    cid_font.finish();
    let face = &font.face;
    let bbox = face.global_bounding_box();
    pdf.font_descriptor(descriptor)
        .name(font.base_font)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            font.scaled(bbox.x_min),
            font.scaled(bbox.y_min),
            font.scaled(bbox.x_max),
            font.scaled(bbox.y_max),
        ))
        .italic_angle(0.0)
        .ascent(font.scaled(face.ascender()))
        .descent(font.scaled(face.descender()))
        .cap_height(font.scaled(face.capital_height().unwrap_or(face.ascender())))
        .stem_v(80.0)
        .font_file2(file);
    pdf.stream(file, &data);
    let mut unicode = UnicodeCmap::new(Name(b"Mediation-UTF16"), system_info);
    for (&old, &ch) in &used.chars {
        unicode.pair(used.remapper.get(old).unwrap_or(0), ch);
    }
    pdf.cmap(cmap, &unicode.finish());
    Ok(type0)
}

/// The document as a PDF.
pub fn render_pdf(doc: &Document) -> Result<Vec<u8>, Error> {
    let fonts = Fonts::new()?;
    let pages = lay_out(doc, &fonts);
    let watermark = doc.watermark.as_deref().map(|w| fonts.glyphs(w)).unwrap_or_default();
    let mut used = [Used::new(), Used::new()];
    for glyph in pages.iter().flatten().flat_map(|p| &p.glyphs).chain(&watermark) {
        let font = &mut used[glyph.font];
        font.remapper.remap(glyph.id);
        font.chars.entry(glyph.id).or_insert(glyph.ch);
    }

    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let id = Ref::new(next);
        next += 1;
        id
    };
    let (catalog, tree, info) = (alloc(), alloc(), alloc());
    pdf.catalog(catalog).pages(tree);
    pdf.document_info(info).title(TextStr(&doc.title)).producer(TextStr("mediation"));
    let font_refs = [
        write_font(&mut pdf, &fonts.0[0], &used[0], &mut alloc)?,
        write_font(&mut pdf, &fonts.0[1], &used[1], &mut alloc)?,
    ];
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();
    pdf.pages(tree).kids(page_ids.iter().map(|(page, _)| *page)).count(page_ids.len() as i32);

    for (placed, (page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT)).parent(tree).contents(*content_id);
        {
            let mut resources = page.resources();
            let mut dict = resources.fonts();
            for (font, id) in fonts.0.iter().zip(font_refs) {
                dict.pair(font.resource, id);
            }
        }
        page.finish();

        let mut content = Content::new();
        if !watermark.is_empty() {
            // Light, at 45 degrees through the page's centre, under the text.
            let width: f32 = watermark.iter().map(|g| g.advance * WATERMARK_SIZE).sum();
            let c = std::f32::consts::FRAC_1_SQRT_2;
            let lift = WATERMARK_SIZE / 3.0;
            let x = PAGE_WIDTH / 2.0 - c * width / 2.0 + c * lift;
            let y = PAGE_HEIGHT / 2.0 - c * width / 2.0 - c * lift;
            content.set_fill_gray(0.85).begin_text().set_text_matrix([c, c, -c, c, x, y]);
            show(&mut content, &watermark, WATERMARK_SIZE, &fonts, &used);
            content.end_text();
        }
        content.set_fill_gray(0.0);
        for line in placed {
            content.begin_text().next_line(line.x, line.y);
            show(&mut content, &line.glyphs, line.size, &fonts, &used);
            content.end_text();
        }
        pdf.stream(*content_id, &content.finish());
    }
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(lines: &[&str], watermark: Option<&str>) -> Document {
        Document {
            title: "人民调解协议书".into(),
            lines: lines.iter().map(|l| (*l).to_owned()).collect(),
            watermark: watermark.map(Into::into),
        }
    }

    fn text_of(pdf: &[u8]) -> String {
        pdf_extract::extract_text_from_mem(pdf).expect("the PDF reads back")
    }

    #[test]
    fn chinese_text_reads_back() {
        let pdf = render_pdf(&doc(&["甲方：张三（申请人）", "乙方：李四 pays 300 yuan"], None)).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = text_of(&pdf);
        for expected in ["人民调解协议书", "甲方：张三（申请人）", "李四", "300"] {
            assert!(text.contains(expected), "{expected:?} not in {text:?}");
        }
        assert!(!text.contains("草稿"));
    }

    #[test]
    fn a_watermark_is_printed_and_only_the_used_glyphs_are_embedded() {
        let pdf = render_pdf(&doc(&["第一条"], Some("草稿 DRAFT"))).unwrap();
        assert!(text_of(&pdf).contains("草稿"));
        assert!(pdf.len() < CJK_FONT.len() / 20, "the fonts are cut to the glyphs used: {} bytes", pdf.len());
    }

    #[test]
    fn long_text_wraps_and_runs_onto_more_pages() {
        let long = "调解".repeat(400);
        let lines: Vec<&str> = std::iter::repeat_n(long.as_str(), 6).collect();
        let fonts = Fonts::new().unwrap();
        let pages = lay_out(&doc(&lines, None), &fonts);
        assert!(pages.len() > 1, "{} page(s)", pages.len());
        let widest = pages.iter().flatten().map(|p| p.glyphs.iter().map(|g| g.advance * p.size).sum::<f32>());
        assert!(widest.fold(0.0, f32::max) <= PAGE_WIDTH - 2.0 * MARGIN + 0.01);
        let text = text_of(&render_pdf(&doc(&lines, None)).unwrap());
        assert_eq!(text.matches("调解").count(), 2400 + 1, "every character once, and the title's");
    }

    #[test]
    fn a_closing_mark_never_starts_a_line() {
        let fonts = Fonts::new().unwrap();
        let glyphs = fonts.glyphs("调解调解，调解");
        let width = glyphs.iter().take(4).map(|g| g.advance * BODY_SIZE).sum::<f32>();
        let lines = wrap(&glyphs, BODY_SIZE, width);
        let texts: Vec<String> = lines.iter().map(|l| l.iter().map(|g| g.ch).collect()).collect();
        assert_eq!(texts, ["调解调解，", "调解"]);
    }

    #[test]
    fn latin_words_are_not_split_when_they_fit_on_a_line() {
        let fonts = Fonts::new().unwrap();
        let glyphs = fonts.glyphs("调解调解 agreement");
        let width = glyphs.iter().take(8).map(|g| g.advance * BODY_SIZE).sum::<f32>();
        let lines = wrap(&glyphs, BODY_SIZE, width);
        let texts: Vec<String> = lines.iter().map(|l| l.iter().map(|g| g.ch).collect()).collect();
        assert_eq!(texts[1], "agreement");
    }
}
