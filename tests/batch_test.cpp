// render --batch: datasets with other column names, bad lines and failed
// items listed in failures.jsonl while the rest renders, a ledger that no
// rerun can damage (real full and read-only tmpfs mounts), folder names that
// never mix two items, and result paths relative to the output folder.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "glyph/batch.h"
#include "glyph/config_json.h"
#include "glyph/encode.h"
#include "glyph/render.h"
#include "test_support.h"

using namespace glyph;
using glyph::test::read_file;
using glyph::test::run_command;
using glyph::test::run_glyph;
using glyph::test::shell_quote;
using glyph::test::TempDir;
using glyph::test::write_file;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<json> read_rows(const std::string& path) {
    std::vector<json> rows;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) rows.push_back(json::parse(line));  // every row is whole JSON
    return rows;
}

json row_for(const std::vector<json>& rows, const json& id) {
    for (const json& r : rows)
        if (r.value("unique_id", json()) == id || r.value("id", json()) == id) return r;
    return nullptr;
}

// Every page a results row lists decodes, from a path relative to `out`.
void expect_pages_decode(const std::string& out, const json& row) {
    ASSERT_TRUE(row.is_object());
    ASSERT_EQ(row["pages"].size(), row["page_count"].get<size_t>());
    ASSERT_FALSE(fs::path(row["manifest"].get<std::string>()).is_absolute());
    const json manifest = json::parse(read_file(out + "/" + row["manifest"].get<std::string>()));
    EXPECT_EQ(manifest["page_count"], row["page_count"]);
    for (const json& p : row["pages"]) {
        ASSERT_FALSE(fs::path(p.get<std::string>()).is_absolute()) << p;
        const Image img = read_image_file(out + "/" + p.get<std::string>());
        EXPECT_GT(img.width, 20);
        EXPECT_GT(img.height, 20);
    }
}

std::string line_of(const json& j) { return j.dump() + "\n"; }

// A small tmpfs mounted for one test (tests run as root here and in CI).
struct Tmpfs {
    std::string dir;
    bool mounted = false;
    Tmpfs(const std::string& where, const std::string& size) : dir(where) {
        fs::create_directories(dir);
        if (::geteuid() != 0) return;
        mounted = run_command("mount -t tmpfs -o size=" + size + " tmpfs " + shell_quote(dir) + " 2>&1").exit_code == 0;
    }
    ~Tmpfs() {
        if (mounted) run_command("umount -l " + shell_quote(dir));
    }
    bool remount_read_only() const { return run_command("mount -o remount,ro " + shell_quote(dir)).exit_code == 0; }
};

// Writes zeros into `path` until the file system has no room left.
void fill_disk(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::vector<char> block(4096, 0);
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size()) {}
    std::fclose(f);
    std::FILE* g = std::fopen(path.c_str(), "ab");  // the last partial block too
    while (g && std::fputc(0, g) != EOF && std::fflush(g) == 0) {}
    if (g) std::fclose(g);
}

ino_t inode_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

}  // namespace

TEST(Batch, AnUnknownAlignmentRendersAsJustifyAndWarnsWithItsLine) {
    TempDir dir;
    write_file(dir.file("in.jsonl"), line_of({{"unique_id", "a"}, {"context", "plain"}}) +
                                         line_of({{"unique_id", "b"}, {"context", "doubtful"},
                                                  {"config", {{"alignment", "centre"}}}}));
    const auto r = run_glyph("render --batch " + shell_quote(dir.file("in.jsonl")) + " --preset en --no-count --out " +
                             shell_quote(dir.file("out")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("glyph: warning: line 2: config key \"alignment\": \"centre\" is not LEFT, CENTER, RIGHT or "
                         "JUSTIFY (did you mean \"CENTER\"?); using JUSTIFY"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("line 1:"), std::string::npos) << r.err;
    EXPECT_EQ(json::parse(read_file(dir.file("out/b/manifest.json")))["config"]["alignment"], "JUSTIFY");
}

TEST(Batch, OtherColumnNamesNumericIdsAndRelativePaths) {
    TempDir dir;
    write_file(dir.file("hf.jsonl"), line_of({{"id", 7}, {"text", "seven is a number"}}) +
                                         line_of({{"id", "b"}, {"text", "a string id"}, {"config", {{"dpi", 96}}}}));
    const std::string out = dir.file("a/b/out");  // missing parents are created
    const auto r = run_glyph("render --batch " + shell_quote(dir.file("hf.jsonl")) +
                             " --id-field id --text-field text --preset en --no-count --out " + shell_quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("2 items: 2 rendered (2 pages), 0 already done, 0 failed"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(out + "/failures.jsonl"));
    const auto rows = read_rows(out + "/results.jsonl");
    ASSERT_EQ(rows.size(), 2u);
    const json seven = row_for(rows, 7);  // the id keeps its JSON type
    expect_pages_decode(out, seven);
    EXPECT_EQ(seven["manifest"], "7/manifest.json");
    EXPECT_EQ(seven["pages"][0], "7/page_001.png");
    expect_pages_decode(out, row_for(rows, "b"));
    EXPECT_EQ(json::parse(read_file(out + "/b/manifest.json"))["config"]["dpi"], 96);
    EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;

    // Without the field flags the default columns are missing on every line.
    const auto wrong = run_glyph("render --batch " + shell_quote(dir.file("hf.jsonl")) +
                                 " --preset en --no-count --out " + shell_quote(dir.file("o2")));
    EXPECT_EQ(wrong.exit_code, 11) << wrong.err;
    EXPECT_NE(wrong.err.find("no \"unique_id\" field"), std::string::npos) << wrong.err;
}

TEST(Batch, NumericIdsInAnExistingLedgerResume) {
    TempDir dir;
    write_file(dir.file("d.jsonl"), line_of({{"unique_id", 1}, {"context", "one"}}) +
                                        line_of({{"unique_id", "2"}, {"context", "two"}}));
    const std::string out = dir.file("out");
    fs::create_directories(out);
    // A ledger written by another tool with a numeric id and a string one.
    write_file(out + "/results.jsonl", line_of({{"unique_id", 1}, {"pages", json::array()}}));
    BatchReport rep = render_batch(dir.file("d.jsonl"), preset("en"), ".", out, {});
    EXPECT_EQ(rep.skipped, 1u);
    EXPECT_EQ(rep.rendered, 1u);
    EXPECT_EQ(rep.failed, 0u);
    BatchReport again = render_batch(dir.file("d.jsonl"), preset("en"), ".", out, {});
    EXPECT_EQ(again.skipped, 2u) << "\"2\" recorded as a string resumes too";
}

TEST(Batch, BadLinesAndFailedItemsAreListedAndTheRestRenders) {
    TempDir dir;
    const std::string out = dir.file("out");
    const std::string data = dir.file("d.jsonl");
    const std::string good = line_of({{"unique_id", "good"}, {"context", "fine text"}});
    const std::string input = good +                                                               // 1
                              "not json\n" +                                                       // 2
                              line_of({{"unique_id", "notext"}}) +                                 // 3
                              "\n" +                                                               // 4 (blank)
                              line_of({{"unique_id", "good"}, {"context", "again"}}) +             // 5
                              line_of({{"unique_id", "cfg"}, {"context", "x"}, {"config", {{"dpi", -1}}}}) +  // 6
                              line_of({{"unique_id", 1.5}, {"context", "x"}}) +                    // 7
                              line_of({{"unique_id", "blocked"}, {"context", "its folder is a file"}}) +  // 8
                              std::string(100, '[') + std::string(100, ']') + "\n" +              // 9
                              line_of({{"unique_id", "last"}, {"context", "still rendered"}});     // 10
    write_file(data, input);
    fs::create_directories(out);
    write_file(out + "/blocked", "a file where the item's folder would go");

    const std::string cmd = "render --batch " + shell_quote(data) + " --preset en --no-count --threads 2 --out " + shell_quote(out);
    const auto r = run_glyph(cmd);
    EXPECT_EQ(r.exit_code, 11) << r.err;
    EXPECT_NE(r.out.find("9 items: 2 rendered (2 pages), 0 already done, 7 failed"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("glyph: error: 7 items failed (first: line 2: not valid JSON"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("failures.jsonl"), std::string::npos) << r.err;

    const auto rows = read_rows(out + "/results.jsonl");
    ASSERT_EQ(rows.size(), 2u);
    expect_pages_decode(out, row_for(rows, "good"));
    expect_pages_decode(out, row_for(rows, "last"));

    const auto failures = read_rows(out + "/failures.jsonl");
    ASSERT_EQ(failures.size(), 7u);
    struct Want { size_t line; json id; const char* stage; const char* error; };
    const Want want[] = {
        {2, nullptr, "read", "not valid JSON (byte "},
        {3, "notext", "read", "no \"context\" field"},
        {5, "good", "read", "repeats the id of line 1"},
        {6, "cfg", "read", "\"config\": "},
        {7, nullptr, "read", "\"unique_id\" must be a string or an integer"},
        {8, "blocked", "render", "not a folder"},
        {9, nullptr, "read", "nested deeper than 64"},
    };
    for (size_t i = 0; i < failures.size(); ++i) {
        SCOPED_TRACE(failures[i].dump());
        EXPECT_EQ(failures[i].size(), 4u) << "id, line, stage, error";
        EXPECT_EQ(failures[i]["line"], want[i].line);
        EXPECT_EQ(failures[i]["id"], want[i].id);
        EXPECT_EQ(failures[i]["stage"], want[i].stage);
        EXPECT_NE(failures[i]["error"].get<std::string>().find(want[i].error), std::string::npos);
    }

    // A rerun retries the failed item (now unblocked); failures.jsonl tells this run.
    fs::remove(out + "/blocked");
    const auto again = run_glyph(cmd);
    EXPECT_EQ(again.exit_code, 11) << again.err;
    EXPECT_NE(again.out.find("9 items: 1 rendered (1 page), 2 already done, 6 failed"), std::string::npos) << again.out;
    EXPECT_EQ(read_rows(out + "/failures.jsonl").size(), 6u);
    expect_pages_decode(out, row_for(read_rows(out + "/results.jsonl"), "blocked"));

    // With the input fixed nothing fails and the stale failures.jsonl goes.
    write_file(data, good + line_of({{"unique_id", "blocked"}, {"context", "its folder is a file"}}));
    const auto clean = run_glyph(cmd);
    EXPECT_EQ(clean.exit_code, 0) << clean.err;
    EXPECT_FALSE(fs::exists(out + "/failures.jsonl"));
}

TEST(Batch, ProgressGetsTotalsAndPagesPerItem) {
    TempDir dir;
    std::string text;
    while (text.size() < 12000) text += "A line of text that fills pages. ";
    write_file(dir.file("d.jsonl"), line_of({{"unique_id", "a"}, {"context", text}}) +
                                        line_of({{"unique_id", "b"}, {"context", "short"}}) + "oops\n" +
                                        line_of({{"unique_id", "c"}, {"context", text}}));
    const std::string out = dir.file("out");
    BatchOptions opts;
    opts.threads = 2;
    size_t started_total = 0, started_done = 0, calls = 0, pages = 0;
    opts.on_start = [&](size_t total, size_t done) {
        started_total = total;
        started_done = done;
    };
    opts.progress = [&](size_t item_pages) {
        ++calls;
        pages += item_pages;
    };
    BatchReport rep = render_batch(dir.file("d.jsonl"), preset("en"), ".", out, opts);
    EXPECT_EQ(started_total, 3u) << "the items that can render";
    EXPECT_EQ(started_done, 0u);
    EXPECT_EQ(calls, 3u);
    EXPECT_EQ(pages, rep.pages);
    EXPECT_GT(rep.pages, 3u);
    write_file(dir.file("d.jsonl"), read_file(dir.file("d.jsonl")) + line_of({{"unique_id", "d"}, {"context", "new"}}));
    calls = 0;
    render_batch(dir.file("d.jsonl"), preset("en"), ".", out, opts);
    EXPECT_EQ(started_total, 4u);
    EXPECT_EQ(started_done, 3u);
    EXPECT_EQ(calls, 1u);
}

TEST(Batch, ProgressLineOnATerminal) {
    if (run_command("command -v script").exit_code != 0) GTEST_SKIP() << "no script(1) for a terminal";
    TempDir dir;
    write_file(dir.file("d.jsonl"), line_of({{"unique_id", "a"}, {"context", "one"}}) +
                                        line_of({{"unique_id", "b"}, {"context", "two"}}));
    const std::string glyph_cmd = std::string(GLYPH_CLI) + " render --batch " + shell_quote(dir.file("d.jsonl")) +
                                  " --preset en --no-count --out " + shell_quote(dir.file("out"));
    const auto r = run_command("script -qec " + shell_quote(glyph_cmd) + " /dev/null");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("2/2 items"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("items/s"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("pages/s"), std::string::npos) << r.out;
}

TEST(Batch, LedgerIsNotRewrittenAndATornRowIsCut) {
    TempDir dir;
    write_file(dir.file("d.jsonl"), line_of({{"unique_id", "a"}, {"context", "first"}}) +
                                        line_of({{"unique_id", "b"}, {"context", "second"}}));
    const std::string out = dir.file("out");
    render_batch(dir.file("d.jsonl"), preset("en"), ".", out, {});
    const std::string ledger = out + "/results.jsonl";
    const std::string finished = read_file(ledger);
    const ino_t inode = inode_of(ledger);

    // Nothing to do: the ledger is not touched.
    BatchReport idle = render_batch(dir.file("d.jsonl"), preset("en"), ".", out, {});
    EXPECT_EQ(idle.skipped, 2u);
    EXPECT_EQ(read_file(ledger), finished);
    EXPECT_EQ(inode_of(ledger), inode);

    // A crash mid-row leaves a torn last row: it is cut off in place, the
    // whole rows stay byte for byte, and the new row follows them.
    write_file(dir.file("d.jsonl"), read_file(dir.file("d.jsonl")) + line_of({{"unique_id", "c"}, {"context", "third"}}));
    write_file(ledger, finished + "{\"unique_id\": \"c\", \"pa");
    BatchReport resumed = render_batch(dir.file("d.jsonl"), preset("en"), ".", out, {});
    EXPECT_EQ(resumed.skipped, 2u);
    EXPECT_EQ(resumed.rendered, 1u);
    const std::string after = read_file(ledger);
    ASSERT_EQ(after.compare(0, finished.size(), finished), 0);
    EXPECT_EQ(read_rows(ledger).size(), 3u);

    // A whole last row that lost only its newline still counts as done.
    write_file(ledger, after.substr(0, after.size() - 1));
    BatchReport kept = render_batch(dir.file("d.jsonl"), preset("en"), ".", out, {});
    EXPECT_EQ(kept.skipped, 3u);
    EXPECT_EQ(kept.rendered, 0u);
}

TEST(Batch, FullDiskRerunLeavesTheFinishedBatchIntact) {
    TempDir dir;
    Tmpfs disk(dir.file("disk"), "4M");
    if (!disk.mounted) GTEST_SKIP() << "cannot mount a tmpfs (needs root)";
    std::string input;
    for (int i = 0; i < 5; ++i) input += line_of({{"unique_id", "item" + std::to_string(i)}, {"context", "text " + std::to_string(i)}});
    write_file(dir.file("d.jsonl"), input);
    const std::string out = disk.dir + "/out";
    const std::string cmd = "render --batch " + shell_quote(dir.file("d.jsonl")) + " --preset en --no-count --out " + shell_quote(out);
    ASSERT_EQ(run_glyph(cmd).exit_code, 0);
    const std::string ledger = out + "/results.jsonl";
    const std::string finished = read_file(ledger);
    ASSERT_EQ(read_rows(ledger).size(), 5u);

    fill_disk(disk.dir + "/filler");
    // Finished: nothing to write, exit 0, the ledger as it was.
    const auto idle = run_glyph(cmd);
    EXPECT_EQ(idle.exit_code, 0) << idle.err;
    EXPECT_EQ(read_file(ledger), finished);

    // A torn row is cut without needing space; new items fail for want of
    // room (and failures.jsonl cannot be written either: one line says so).
    write_file(dir.file("d.jsonl"), input + line_of({{"unique_id", "new"}, {"context", "no room for me"}}));
    {
        std::ofstream torn(ledger, std::ios::app);
        torn << "{\"unique_id\": \"new\", \"pa";
    }
    const auto full = run_glyph(cmd);
    EXPECT_NE(full.exit_code, 0);
    EXPECT_NE(full.err.find("No space left on device"), std::string::npos) << full.err;
    EXPECT_EQ(std::count(full.err.begin(), full.err.end(), '\n'), 1) << full.err;
    EXPECT_EQ(read_file(ledger), finished);
    for (const json& row : read_rows(ledger)) expect_pages_decode(out, row);

    // Room again: the rerun finishes the new item.
    fs::remove(disk.dir + "/filler");
    const auto resumed = run_glyph(cmd);
    EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_EQ(read_rows(ledger).size(), 6u);
    expect_pages_decode(out, row_for(read_rows(ledger), "new"));
}

TEST(Batch, ShortWriteOfAResultRowFailsTheItemAndLeavesNoTornRow) {
    TempDir dir;
    Tmpfs disk(dir.file("disk"), "2M");
    if (!disk.mounted) GTEST_SKIP() << "cannot mount a tmpfs (needs root)";
    const std::string out = disk.dir + "/out";
    fs::create_directories(out);
    // A ledger ending 40 bytes before a 4 KiB page boundary: the next row
    // crosses it, so on a full tmpfs its write is short (the first 40 bytes
    // fit in the page already allocated) and the rest fails.
    const std::string ledger = out + "/results.jsonl";
    std::string padding = line_of({{"note", ""}});
    padding = line_of({{"note", std::string(4096 - 40 - padding.size(), 'x')}});
    ASSERT_EQ(padding.size(), 4096u - 40);
    write_file(ledger, padding);
    write_file(dir.file("d.jsonl"), line_of({{"unique_id", "a"}, {"context", "rendered, then the disk fills"}}));
    // The disk fills while the item renders, but for one page: its manifest
    // (under 4 KiB) takes that, which leaves the ledger's row no room.
    BatchOptions opts;
    opts.on_item = [&](const std::string&, std::string_view, const RenderResult&, json&) {
        const std::string filler = disk.dir + "/filler";
        fill_disk(filler);
        fs::resize_file(filler, fs::file_size(filler) / 4096 * 4096 - 4096);
    };
    BatchReport rep;
    try {
        rep = render_batch(dir.file("d.jsonl"), preset("en"), ".", out, opts);
        FAIL() << "failures.jsonl cannot be written on a full disk either";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("1 item failed and cannot"), std::string::npos) << e.what();
    }
    EXPECT_EQ(read_file(ledger), padding) << "the short row was taken back";

    fs::remove(disk.dir + "/filler");
    opts.on_item = nullptr;
    rep = render_batch(dir.file("d.jsonl"), preset("en"), ".", out, opts);
    EXPECT_EQ(rep.rendered, 1u);
    EXPECT_EQ(rep.failed, 0u);
    const auto rows = read_rows(ledger);
    ASSERT_EQ(rows.size(), 2u);
    expect_pages_decode(out, rows[1]);
}

TEST(Batch, ReadOnlyFolderRerunChangesNothing) {
    TempDir dir;
    Tmpfs disk(dir.file("disk"), "4M");
    if (!disk.mounted) GTEST_SKIP() << "cannot mount a tmpfs (needs root)";
    const std::string input = line_of({{"unique_id", "a"}, {"context", "first"}});
    write_file(dir.file("d.jsonl"), input);
    const std::string out = disk.dir + "/out";
    const std::string cmd = "render --batch " + shell_quote(dir.file("d.jsonl")) + " --preset en --no-count --out " + shell_quote(out);
    ASSERT_EQ(run_glyph(cmd).exit_code, 0);
    const std::string finished = read_file(out + "/results.jsonl");
    ASSERT_TRUE(disk.remount_read_only());

    EXPECT_EQ(run_glyph(cmd).exit_code, 0) << "finished: nothing to write";
    write_file(dir.file("d.jsonl"), input + line_of({{"unique_id", "b"}, {"context", "second"}}));
    const auto ro = run_glyph(cmd);
    EXPECT_EQ(ro.exit_code, 1) << ro.err;
    EXPECT_NE(ro.err.find("Read-only file system"), std::string::npos) << ro.err;
    EXPECT_EQ(std::count(ro.err.begin(), ro.err.end(), '\n'), 1) << ro.err;
    EXPECT_EQ(read_file(out + "/results.jsonl"), finished);
}

TEST(Batch, FolderNamesAreSafeAndInjective) {
    EXPECT_EQ(item_folder_name("abc-1.x"), "abc-1.x");
    for (const char* id : {"..", "../../etc", "a/b", "", "."}) {
        std::string n = item_folder_name(id);
        EXPECT_EQ(n.find('/'), std::string::npos) << id;
        EXPECT_NE(n, "..");
        EXPECT_NE(n, ".");
        EXPECT_FALSE(n.empty());
    }
    EXPECT_NE(item_folder_name("a/b"), item_folder_name("a_b"));
    const std::string prefix(80, 'p');
    EXPECT_NE(item_folder_name(prefix + "1"), item_folder_name(prefix + "2"));
    EXPECT_NE(item_folder_name(prefix + "1"), prefix) << "a cut id is never a plain id's name";
    EXPECT_LE(item_folder_name(std::string(5000, 'q')).size(), 100u);
    EXPECT_NE(item_folder_name("results.jsonl"), "results.jsonl");
    EXPECT_NE(item_folder_name("failures.jsonl"), "failures.jsonl");
}

TEST(Batch, LongIdsSharingAPrefixGetTheirOwnPages) {
    TempDir dir;
    const std::string prefix(90, 'x');
    std::string many;
    while (many.size() < 9000) many += "many words on many lines ";
    write_file(dir.file("d.jsonl"), line_of({{"unique_id", prefix + "-short"}, {"context", "one line"}}) +
                                        line_of({{"unique_id", prefix + "-long"}, {"context", many}}));
    const std::string out = dir.file("out");
    BatchReport rep = render_batch(dir.file("d.jsonl"), preset("en"), ".", out, {});
    ASSERT_EQ(rep.rendered, 2u);
    const auto rows = read_rows(rep.results_path);
    const json s = row_for(rows, prefix + "-short"), l = row_for(rows, prefix + "-long");
    EXPECT_NE(s["manifest"], l["manifest"]);
    EXPECT_EQ(json::parse(read_file(out + "/" + s["manifest"].get<std::string>()))["source_bytes"], 8);
    EXPECT_EQ(json::parse(read_file(out + "/" + l["manifest"].get<std::string>()))["source_bytes"], many.size());
    expect_pages_decode(out, s);
    expect_pages_decode(out, l);
}

TEST(Batch, IdsThatShareAFolderAreAFailureNotAMix) {
    TempDir dir;
    // "a/b" becomes "a_b-<hash>"; an id spelled exactly that is a second claim on the folder.
    const std::string twin = item_folder_name("a/b");
    write_file(dir.file("d.jsonl"), line_of({{"unique_id", "a/b"}, {"context", "first"}}) +
                                        line_of({{"unique_id", twin}, {"context", "second"}}));
    const std::string out = dir.file("out");
    BatchReport rep = render_batch(dir.file("d.jsonl"), preset("en"), ".", out, {});
    EXPECT_EQ(rep.rendered, 1u);
    ASSERT_EQ(rep.failed, 1u);
    EXPECT_EQ(rep.failures[0].line, 2u);
    EXPECT_NE(rep.failures[0].error.find("already the folder of line 1"), std::string::npos) << rep.failures[0].error;

    // The same across runs: a finished id owns its folder.
    write_file(dir.file("e.jsonl"), line_of({{"unique_id", twin}, {"context", "second"}}));
    BatchReport later = render_batch(dir.file("e.jsonl"), preset("en"), ".", out, {});
    EXPECT_EQ(later.rendered, 0u);
    ASSERT_EQ(later.failed, 1u);
    EXPECT_NE(later.failures[0].error.find("holds another id"), std::string::npos) << later.failures[0].error;
    EXPECT_EQ(json::parse(read_file(out + "/" + twin + "/manifest.json"))["source_bytes"], 5) << "first's pages stay";
}

TEST(Batch, StandardInputAndIdsNeverEscapeTheOutput) {
    TempDir dir;
    const std::string input = line_of({{"unique_id", "../escape"}, {"context", "from stdin"}});
    const std::string out = dir.file("out");
    const auto r = run_glyph("render --batch - --preset en --no-count --out " + shell_quote(out), &input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(dir.path + "/escape"));
    expect_pages_decode(out, row_for(read_rows(out + "/results.jsonl"), "../escape"));
}

TEST(Batch, KillNineThenResumeRecordsEveryItemOnce) {
    TempDir dir;
    std::string text;
    while (text.size() < 8000) text += "Words enough to make a page or two of text. ";
    std::string input;
    for (int i = 0; i < 150; ++i) input += line_of({{"unique_id", "doc" + std::to_string(i)}, {"context", text}});
    write_file(dir.file("d.jsonl"), input);
    const std::string out = dir.file("out");
    const std::string cmd = std::string(GLYPH_CLI) + " render --batch " + shell_quote(dir.file("d.jsonl")) +
                            " --preset en --no-count --threads 2 --out " + shell_quote(out);
    const std::string ledger = shell_quote(out + "/results.jsonl");
    // Killed once a few rows are in (or when it is over, whichever comes first).
    const auto killed = run_command("(" + cmd + " >/dev/null 2>&1 & pid=$!; "
                                    "while kill -0 $pid 2>/dev/null && [ \"$(cat " + ledger + " 2>/dev/null | wc -l)\" -lt 5 ]; "
                                    "do sleep 0.01; done; kill -9 $pid 2>/dev/null; wait $pid; true)");
    ASSERT_EQ(killed.exit_code, 0) << killed.err;
    const size_t before = read_rows(out + "/results.jsonl").size();
    EXPECT_GE(before, 5u);
    if (before == 150) GTEST_SKIP() << "the batch finished before the kill";
    const auto resumed = run_command(cmd);
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_NE(resumed.out.find(std::to_string(before) + " already done"), std::string::npos) << resumed.out;
    const auto rows = read_rows(out + "/results.jsonl");
    ASSERT_EQ(rows.size(), 150u);
    std::set<std::string> ids;
    for (const json& r : rows) {
        EXPECT_TRUE(ids.insert(r["unique_id"].get<std::string>()).second) << "recorded twice: " << r["unique_id"];
        const json manifest = json::parse(read_file(out + "/" + r["manifest"].get<std::string>()));
        EXPECT_EQ(manifest["source_bytes"], text.size());
    }
    expect_pages_decode(out, rows.front());
    expect_pages_decode(out, rows.back());
}

TEST(Batch, OneRunAtATimePerOutputFolder) {
    TempDir dir;
    write_file(dir.file("d.jsonl"), line_of({{"unique_id", "a"}, {"context", "text"}}));
    const std::string out = dir.file("out");
    fs::create_directories(out);
    const int held = ::open(out.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(held, 0);
    ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);  // as a running batch holds it
    try {
        render_batch(dir.file("d.jsonl"), preset("en"), ".", out, {});
        ADD_FAILURE() << "expected the second run to be refused";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("another batch is rendering into"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(out + "/results.jsonl"));
    ::close(held);
    EXPECT_EQ(render_batch(dir.file("d.jsonl"), preset("en"), ".", out, {}).rendered, 1u);
}

TEST(Batch, AutoPresetPerItemAndABoxWarning) {
    TempDir dir;
    const std::string zh = "\xE4\xB8\xAD\xE6\x96\x87\xE7\x9A\x84\xE6\x96\x87\xE6\x9C\xAC\xE3\x80\x82";  // 中文的文本。
    write_file(dir.file("d.jsonl"), line_of({{"unique_id", "en"}, {"context", "An English text."}}) +
                                        line_of({{"unique_id", "zh"}, {"context", zh}}));
    const std::string out = dir.file("out");
    const auto r = run_glyph("render --batch " + shell_quote(dir.file("d.jsonl")) + " --no-count --out " + shell_quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("boxes"), std::string::npos) << r.err;
    const json en_cfg = json::parse(read_file(out + "/en/manifest.json"))["config"];
    const json zh_manifest = json::parse(read_file(out + "/zh/manifest.json"));
    EXPECT_EQ(en_cfg, to_json(preset("en")));
    EXPECT_EQ(zh_manifest["config"], to_json(preset("zh")));
    EXPECT_FALSE(zh_manifest.contains("missing_glyphs"));

    const auto forced = run_glyph("render --batch " + shell_quote(dir.file("d.jsonl")) + " --preset en --no-count --out " +
                                  shell_quote(dir.file("out-en")));
    ASSERT_EQ(forced.exit_code, 0) << forced.err;
    EXPECT_NE(forced.err.find("glyph: warning: characters with no glyph in their font are drawn as boxes in 1 item "),
              std::string::npos) << forced.err;
    EXPECT_TRUE(json::parse(read_file(dir.file("out-en") + "/zh/manifest.json")).contains("missing_glyphs"));
}

// --shard I/N: N runs into one folder, each taking the items whose position
// mod N is I (bad lines count as positions, so read failures split too; an id
// repeated across shards fails as in the whole batch), with
// its own ledger and failures; together they make exactly the whole batch's
// folders and rows, at the same time, and each resumes on its own.
TEST(Batch, ShardsTogetherAreTheWholeBatch) {
    TempDir dir;
    std::string data;
    for (int i = 0; i < 7; ++i) data += line_of({{"unique_id", "item" + std::to_string(i)}, {"context", "text " + std::to_string(i)}});
    data += "not json\n";  // position 7: shard 1 of 2
    data += line_of({{"unique_id", "item1"}, {"context", "again"}});  // position 8, shard 0: repeats shard 1's id
    write_file(dir.file("d.jsonl"), data);
    const std::string whole = dir.file("whole"), parts = dir.file("parts");
    const std::string input = shell_quote(dir.file("d.jsonl"));
    EXPECT_EQ(run_glyph("render --batch " + input + " --preset en --no-count --out " + shell_quote(whole)).exit_code, 11);

    BatchOptions first, second;
    first.shard = parse_batch_shard("0/2");
    second.shard = parse_batch_shard("1/2");
    // Both parts hold the folder at once: the second starts while the first is rendering.
    BatchReport rep1, rep2;
    first.on_start = [&](size_t, size_t) { rep2 = render_batch(dir.file("d.jsonl"), preset("en"), ".", parts, second); };
    rep1 = render_batch(dir.file("d.jsonl"), preset("en"), ".", parts, first);
    EXPECT_EQ(rep1.total, 5u);
    EXPECT_EQ(rep1.rendered, 4u);
    ASSERT_EQ(rep1.failed, 1u);
    EXPECT_EQ(rep1.failures[0].error, "repeats the id of line 2");
    EXPECT_EQ(rep2.total, 4u);
    EXPECT_EQ(rep2.rendered, 3u);
    ASSERT_EQ(rep2.failed, 1u);
    EXPECT_EQ(rep2.failures[0].line, 8u);
    EXPECT_EQ(rep1.results_path, parts + "/results.shard-0-of-2.jsonl");
    EXPECT_TRUE(fs::exists(parts + "/failures.shard-1-of-2.jsonl"));
    EXPECT_TRUE(fs::exists(parts + "/failures.shard-0-of-2.jsonl"));
    EXPECT_FALSE(fs::exists(parts + "/results.jsonl"));

    std::set<std::string> whole_rows, part_rows;
    for (const json& r : read_rows(whole + "/results.jsonl")) whole_rows.insert(r.dump());
    for (const char* name : {"/results.shard-0-of-2.jsonl", "/results.shard-1-of-2.jsonl"})
        for (const json& r : read_rows(parts + name)) part_rows.insert(r.dump());
    EXPECT_EQ(part_rows, whole_rows);
    for (int i = 0; i < 7; ++i) {
        const std::string page = "/item" + std::to_string(i) + "/page_001.png";
        EXPECT_EQ(read_file(parts + page), read_file(whole + page)) << page;
    }
    // Each part resumes on its own ledger.
    EXPECT_EQ(render_batch(dir.file("d.jsonl"), preset("en"), ".", parts, first).skipped, 4u);
    const auto cli = run_glyph("render --batch " + input + " --preset en --no-count --shard 1/2 --out " + shell_quote(parts));
    EXPECT_EQ(cli.exit_code, 11) << cli.err;  // the bad line fails again; the rest is done
    EXPECT_NE(cli.out.find("3 already done"), std::string::npos) << cli.out;
}

TEST(Batch, ShardsExcludeAWholeBatchAndTheirOwnTwin) {
    TempDir dir;
    write_file(dir.file("d.jsonl"), line_of({{"unique_id", "a"}, {"context", "one"}}) +
                                        line_of({{"unique_id", "b"}, {"context", "two"}}));
    const std::string out = dir.file("out");
    BatchOptions shard;
    shard.shard = parse_batch_shard("0/2");
    std::string twin_error, whole_error;
    shard.on_start = [&](size_t, size_t) {
        try {
            render_batch(dir.file("d.jsonl"), preset("en"), ".", out, shard);
        } catch (const std::runtime_error& e) {
            twin_error = e.what();
        }
        try {
            render_batch(dir.file("d.jsonl"), preset("en"), ".", out, {});
        } catch (const std::runtime_error& e) {
            whole_error = e.what();
        }
    };
    render_batch(dir.file("d.jsonl"), preset("en"), ".", out, shard);
    EXPECT_NE(twin_error.find("another batch shard 0/2 is rendering"), std::string::npos) << twin_error;
    EXPECT_NE(whole_error.find("another batch is rendering"), std::string::npos) << whole_error;
}

TEST(Batch, ShardFlagIsCheckedAndNeedsBatch) {
    for (const char* bad : {"2/2", "1", "a/2", "0/0", "-1/3", "1/2/3", ""}) {
        EXPECT_THROW(parse_batch_shard(bad), ConfigError) << bad;
    }
    EXPECT_EQ(parse_batch_shard("3/4").index, 3u);
    TempDir dir;
    write_file(dir.file("t.txt"), "x");
    const auto r = run_glyph("render " + shell_quote(dir.file("t.txt")) + " --shard 0/2 --out " + shell_quote(dir.file("o")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("glyph: error: --shard I/N needs --batch"), std::string::npos) << r.err;
    write_file(dir.file("d.jsonl"), line_of({{"unique_id", "a"}, {"context", "one"}}));
    const auto bad = run_glyph("render --batch " + shell_quote(dir.file("d.jsonl")) + " --shard 2/2 --out " + shell_quote(dir.file("o")));
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("--shard expects I/N with 0 <= I < N"), std::string::npos) << bad.err;
    EXPECT_EQ(item_folder_name("results.shard-0-of-2.jsonl").find("results.shard-0-of-2.jsonl-"), 0u)
        << "a shard's ledger name is no item folder";
}
