#include "pse/results.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>

#include <zlib.h>

#include <fmt/format.h>
#include <hdf5.h>

#include "pse/detail/h5.h"
#include "pse/detail/parallel.h"
#include "pse/errors.h"
#include "pse/version.h"

namespace pse {
namespace {

using namespace detail;

/// HDF5's shuffle filter (H5Z__filter_shuffle, encoding): byte j of element i goes to
/// position j * n + i. Chunks always hold whole elements.
void shuffle_bytes(const unsigned char* in, std::size_t nbytes, std::size_t size,
                   unsigned char* out) {
    const std::size_t n = nbytes / size;
    if (size <= 1 || n <= 1) {
        std::memcpy(out, in, nbytes);
        return;
    }
    for (std::size_t j = 0; j < size; ++j)
        for (std::size_t i = 0; i < n; ++i) out[j * n + i] = in[i * size + j];
    std::memcpy(out + n * size, in + n * size, nbytes - n * size);
}

/// One chunk encoded exactly as the dataset's filter pipeline (shuffle, then deflate level 4,
/// both optional) would encode it, for H5Dwrite_chunk: `bytes` and the filter mask to store.
/// Like HDF5's deflate filter, a chunk that does not shrink is stored shuffled only (the mask
/// marks deflate, filter 1, as skipped), which every HDF5 reader decodes.
struct EncodedChunk {
    std::vector<unsigned char> bytes;
    std::uint32_t filter_mask = 0;
};
EncodedChunk encode_chunk(const void* data, std::size_t nbytes, std::size_t elem_size) {
    std::vector<unsigned char> shuffled(nbytes);
    shuffle_bytes(static_cast<const unsigned char*>(data), nbytes, elem_size, shuffled.data());
    EncodedChunk c;
    c.bytes.resize(nbytes);
    uLongf len = static_cast<uLongf>(nbytes);
    if (compress2(c.bytes.data(), &len, shuffled.data(), static_cast<uLong>(nbytes), 4) == Z_OK) {
        c.bytes.resize(len);
    } else {  // would not shrink (Z_BUF_ERROR), as in H5Z__filter_deflate: skip the optional filter
        c.bytes = std::move(shuffled);
        c.filter_mask = 1u << 1;
    }
    return c;
}

/// The inverse of encode_chunk(): `nbytes` of raw data from a stored chunk. Throws IoError if it
/// does not inflate to exactly nbytes.
std::vector<unsigned char> decode_chunk(const std::vector<unsigned char>& bytes, std::uint32_t mask,
                                        std::size_t nbytes, std::size_t elem_size) {
    std::vector<unsigned char> shuffled;
    if (mask & (1u << 1)) {
        shuffled = bytes;
    } else {
        shuffled.resize(nbytes);
        uLongf len = static_cast<uLongf>(nbytes);
        if (uncompress(shuffled.data(), &len, bytes.data(), static_cast<uLong>(bytes.size())) !=
                Z_OK ||
            len != nbytes)
            throw IoError(
                "a stored series or pipeline chunk does not inflate to its size (damaged)");
    }
    if (shuffled.size() != nbytes)
        throw IoError("a stored series or pipeline chunk has the wrong size (damaged)");
    if (mask & 1u) return shuffled;  // shuffle skipped
    std::vector<unsigned char> out(nbytes);
    const std::size_t n = nbytes / elem_size;
    if (elem_size <= 1 || n <= 1) return shuffled;
    for (std::size_t j = 0; j < elem_size; ++j)
        for (std::size_t i = 0; i < n; ++i) out[i * elem_size + j] = shuffled[j * n + i];
    std::memcpy(out.data() + n * elem_size, shuffled.data() + n * elem_size,
                nbytes - n * elem_size);
    return out;
}

/// The rows of one block in the file's memory layout: series[k][row * weeks + week] (NaN = fill)
/// and pipe[row][week][stage] (0 = fill), padded to whole pipeline chunks.
struct BlockBuf {
    std::vector<std::vector<double>> series;
    std::vector<float> pipe;
    hsize_t filled = 0;  ///< rows written (ResultsWriter)
    BlockBuf() = default;
    explicit BlockBuf(const ChunkLayout& layout) {
        const auto n_weeks = static_cast<std::size_t>(layout.weeks);
        series.assign(kSeriesCount,
                      std::vector<double>(static_cast<std::size_t>(layout.block_rows) * n_weeks,
                                          std::numeric_limits<double>::quiet_NaN()));
        const auto prows =
            (layout.block_rows + layout.pipe_rows - 1) / layout.pipe_rows * layout.pipe_rows;
        pipe.assign(static_cast<std::size_t>(prows) * n_weeks * kStageCount, 0.0f);
    }
    void put(const ChunkLayout& layout, std::size_t row, const RunOutput& out) {
        const auto n_weeks = static_cast<std::size_t>(layout.weeks);
        for (int k = 0; k < kSeriesCount; ++k) {
            double* dst = series[static_cast<std::size_t>(k)].data() + row * n_weeks;
            for (std::size_t w = 0; w < n_weeks; ++w)
                dst[w] = out.series[w * kSeriesCount + static_cast<std::size_t>(k)];
        }
        std::copy(out.pipeline.begin(), out.pipeline.end(),
                  pipe.begin() + static_cast<std::ptrdiff_t>(row * n_weeks * kStageCount));
    }
    void get(const ChunkLayout& layout, std::size_t row, RunOutput& out) const {
        const auto n_weeks = static_cast<std::size_t>(layout.weeks);
        out.weeks = layout.weeks;
        out.series.assign(n_weeks * kSeriesCount, 0.0);
        for (int k = 0; k < kSeriesCount; ++k) {
            const double* src = series[static_cast<std::size_t>(k)].data() + row * n_weeks;
            for (std::size_t w = 0; w < n_weeks; ++w)
                out.series[w * kSeriesCount + static_cast<std::size_t>(k)] = src[w];
        }
        const auto p0 = pipe.begin() + static_cast<std::ptrdiff_t>(row * n_weeks * kStageCount);
        out.pipeline.assign(p0, p0 + static_cast<std::ptrdiff_t>(n_weeks * kStageCount));
    }
};

/// The names of the engagement stages in Stage order (the stage_names attribute of
/// /series/pipeline and /events).
std::vector<std::string_view> stage_names() {
    std::vector<std::string_view> names;
    names.reserve(kStageCount);
    for (int i = 0; i < kStageCount; ++i) names.push_back(stage_name(static_cast<Stage>(i)));
    return names;
}

/// Chunk i of a block's BlockBuf: where its raw data is, how large, and where it goes.
struct ChunkRef {
    int series = -1;  ///< metric index, or -1 for a pipeline chunk
    hsize_t offset[3] = {0, 0, 0};
    std::size_t byte0 = 0, nbytes = 0, elem = 0;  ///< within series[series] or pipe
};
std::vector<ChunkRef> chunk_refs(const ChunkLayout& layout, std::int64_t b) {
    std::vector<ChunkRef> out;
    out.reserve(static_cast<std::size_t>(kSeriesCount + layout.block_rows / layout.pipe_rows + 1));
    const auto n_weeks = static_cast<std::size_t>(layout.weeks);
    const auto row0 = static_cast<hsize_t>(b) * static_cast<hsize_t>(layout.block_rows);
    for (int k = 0; k < kSeriesCount; ++k)
        out.push_back(
            ChunkRef{k,
                     {row0, 0, 0},
                     0,
                     static_cast<std::size_t>(layout.block_rows) * n_weeks * sizeof(double),
                     sizeof(double)});
    const std::size_t prow = n_weeks * kStageCount,
                      pbytes = static_cast<std::size_t>(layout.pipe_rows) * prow * sizeof(float);
    for (std::int64_t p = 0; p * layout.pipe_rows < layout.block_rows &&
                             b * layout.block_rows + p * layout.pipe_rows < layout.n_runs;
         ++p)
        out.push_back(ChunkRef{-1,
                               {row0 + static_cast<hsize_t>(p * layout.pipe_rows), 0, 0},
                               static_cast<std::size_t>(p) * pbytes,
                               pbytes,
                               sizeof(float)});
    return out;
}
const unsigned char* chunk_data(const BlockBuf& buf, const ChunkRef& c) {
    const auto* base = c.series >= 0 ? reinterpret_cast<const unsigned char*>(
                                           buf.series[static_cast<std::size_t>(c.series)].data())
                                     : reinterpret_cast<const unsigned char*>(buf.pipe.data());
    return base + c.byte0;
}
unsigned char* chunk_data(BlockBuf& buf, const ChunkRef& c) {
    return const_cast<unsigned char*>(chunk_data(static_cast<const BlockBuf&>(buf), c));
}

/// Encode the chunks of several blocks, all chunks in parallel.
std::vector<EncodedBlock> encode_blocks(
    const ChunkLayout& layout, const std::vector<std::pair<std::int64_t, const BlockBuf*>>& bufs) {
    std::vector<EncodedBlock> out(bufs.size());
    struct Job {
        std::size_t blk, idx;
        ChunkRef ref;
    };
    std::vector<Job> jobs;
    for (std::size_t i = 0; i < bufs.size(); ++i) {
        const auto refs = chunk_refs(layout, bufs[i].first);
        out[i].block = bufs[i].first;
        out[i].chunks.resize(refs.size());
        out[i].masks.resize(refs.size());
        for (std::size_t j = 0; j < refs.size(); ++j) jobs.push_back(Job{i, j, refs[j]});
    }
    detail::parallel_for(jobs.size(), std::size_t{1}, [&](std::size_t begin, std::size_t end) {
        for (std::size_t j = begin; j < end; ++j) {
            const auto& job = jobs[j];
            auto c = encode_chunk(chunk_data(*bufs[job.blk].second, job.ref), job.ref.nbytes,
                                  job.ref.elem);
            out[job.blk].chunks[job.idx] = std::move(c.bytes);
            out[job.blk].masks[job.idx] = c.filter_mask;
        }
    });
    return out;
}

}  // namespace

ChunkLayout ChunkLayout::of(std::int64_t n_runs, int weeks) {
    ChunkLayout layout;
    layout.n_runs = std::max<std::int64_t>(0, n_runs);
    layout.weeks = std::max(0, weeks);
    layout.block_rows = std::max<std::int64_t>(1, std::min<std::int64_t>(layout.n_runs, 64));
    layout.pipe_rows = std::max<std::int64_t>(1, std::min<std::int64_t>(layout.n_runs, 16));
    return layout;
}
std::int64_t ChunkLayout::n_blocks() const {
    if (n_runs == 0 || weeks == 0) return 0;
    return (n_runs + block_rows - 1) / block_rows;
}
std::int64_t ChunkLayout::rows_in_block(std::int64_t b) const {
    return std::max<std::int64_t>(0, std::min(block_rows, n_runs - b * block_rows));
}
std::size_t ChunkLayout::chunks_in_block(std::int64_t b) const {
    return chunk_refs(*this, b).size();
}

EncodedBlock encode_block(const ChunkLayout& layout, std::int64_t b,
                          const std::vector<const RunRecord*>& rows) {
    if (b < 0 || b >= layout.n_blocks())
        throw IoError(fmt::format("block {} is outside 0..{}", b, layout.n_blocks() - 1));
    if (static_cast<std::int64_t>(rows.size()) != layout.rows_in_block(b))
        throw IoError(
            fmt::format("block {} holds {} runs, not {}", b, layout.rows_in_block(b), rows.size()));
    BlockBuf buf(layout);
    const auto n_weeks = static_cast<std::size_t>(layout.weeks);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const RunRecord* r = rows[i];
        if (r == nullptr) continue;
        if (r->run_id != b * layout.block_rows + static_cast<std::int64_t>(i))
            throw IoError(fmt::format("row {} of block {} is run {}, not run {}", i, b, r->run_id,
                                      b * layout.block_rows + static_cast<std::int64_t>(i)));
        if (r->status != RunStatus::kDone) continue;
        if (r->output.series.size() != n_weeks * kSeriesCount ||
            r->output.pipeline.size() != n_weeks * kStageCount)
            throw IoError(
                fmt::format("run {} has {} week(s) of results, but the file holds {} weeks",
                            r->run_id, r->output.weeks, layout.weeks));
        buf.put(layout, i, r->output);
    }
    return std::move(encode_blocks(layout, {{b, &buf}}).front());
}

void check_encoded_block(const ChunkLayout& layout, const EncodedBlock& blk) {
    if (blk.block < 0 || blk.block >= layout.n_blocks())
        throw IoError(
            fmt::format("block {} is outside 0..{} (damaged)", blk.block, layout.n_blocks() - 1));
    const auto refs = chunk_refs(layout, blk.block);
    if (blk.chunks.size() != refs.size() || blk.masks.size() != refs.size())
        throw IoError(fmt::format("block {} holds {} chunks, not {} (damaged)", blk.block,
                                  blk.chunks.size(), refs.size()));
    for (std::size_t j = 0; j < refs.size(); ++j) {
        const std::uint32_t m = blk.masks[j];
        const std::size_t n = blk.chunks[j].size();
        if ((m != 0 && m != (1u << 1)) || (m != 0 && n != refs[j].nbytes) || n > refs[j].nbytes ||
            n == 0)
            throw IoError(
                fmt::format("chunk {} of block {} has filter mask {} and {} bytes (damaged)", j,
                            blk.block, m, n));
    }
}

void decode_block(const ChunkLayout& layout, const EncodedBlock& blk,
                  const std::vector<RunRecord*>& recs) {
    const auto refs = chunk_refs(layout, blk.block);
    if (blk.chunks.size() != refs.size() || blk.masks.size() != refs.size())
        throw IoError(fmt::format("block {} holds {} chunks, not {} (damaged)", blk.block,
                                  blk.chunks.size(), refs.size()));
    BlockBuf buf(layout);
    for (std::size_t j = 0; j < refs.size(); ++j) {
        const auto raw = decode_chunk(blk.chunks[j], blk.masks[j], refs[j].nbytes, refs[j].elem);
        std::memcpy(chunk_data(buf, refs[j]), raw.data(), raw.size());
    }
    for (RunRecord* r : recs) {
        if (layout.block_of(r->run_id) != blk.block || r->run_id < 0)
            throw IoError(fmt::format("run {} is not in block {}", r->run_id, blk.block));
        if (r->status == RunStatus::kDone)
            buf.get(layout, static_cast<std::size_t>(r->run_id - blk.block * layout.block_rows),
                    r->output);
    }
}

std::string utc_now_text() {
    const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string host_name() {
    char buf[256] = {0};
    if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
    return buf;
}

struct ResultsWriter::Impl {
    H file;
    H series_group, pipeline_ds;
    std::vector<H> series_ds;
    H ev_run, ev_week, ev_ngo, ev_org, ev_type, ev_from, ev_to;
    hsize_t n_events = 0;
    ResultsMeta meta;
    std::vector<std::int64_t> run_id, design_point, replication;
    std::vector<std::uint64_t> seed;
    std::vector<std::int8_t> status;
    std::vector<std::string> error;
    std::vector<double> wall;
    std::vector<std::vector<double>> summary;  // [metric][run]
    /// A finished run's events and table rows, waiting to be appended in run order.
    struct Pending {
        std::vector<Event> events;
        std::array<std::vector<double>, kTableCount> tables;
    };
    std::map<std::int64_t, Pending> pending_events;
    std::array<std::vector<H>, kTableCount> tab_ds;  ///< [table][column] (run first)
    std::array<hsize_t, kTableCount> tab_rows{};
    std::int64_t next_event_run = 0;
    std::vector<std::uint8_t> written;
    std::string created;
    std::map<std::int64_t, NetworkTable> networks;  // run -> its rows (written sorted at finalize)

    /// Series and pipeline rows are assembled in memory, one block of series-chunk rows at a
    /// time (rows [b * block_rows, ...), ChunkLayout); a block whose rows have all been written
    /// (or every block, at finalize) is encoded on all cores (encode_blocks()) and stored with
    /// H5Dwrite_chunk: no chunk is compressed twice, no row passes through HDF5's chunk cache,
    /// and the data read back is exactly what per-row H5Dwrite calls stored before. Blocks that
    /// arrive encoded (write_block(), from sweep shards) are stored as they are.
    ChunkLayout layout;
    std::map<std::int64_t, BlockBuf> blocks;  ///< blocks being filled
    std::vector<std::pair<std::int64_t, BlockBuf>>
        complete_blocks;  ///< waiting to be encoded and written

    BlockBuf& block_for(std::int64_t b) {
        auto it = blocks.find(b);
        if (it != blocks.end()) return it->second;
        return blocks.emplace(b, BlockBuf(layout)).first->second;
    }
    void store_encoded(const EncodedBlock& e) {
        const auto refs = chunk_refs(layout, e.block);
        if (e.chunks.size() != refs.size() || e.masks.size() != refs.size())
            throw IoError(fmt::format("block {} holds {} chunks, not {} (damaged)", e.block,
                                      e.chunks.size(), refs.size()));
        for (std::size_t j = 0; j < refs.size(); ++j)
            check(H5Dwrite_chunk(refs[j].series >= 0
                                     ? series_ds[static_cast<std::size_t>(refs[j].series)].get()
                                     : pipeline_ds.get(),
                                 H5P_DEFAULT, e.masks[j], refs[j].offset, e.chunks[j].size(),
                                 e.chunks[j].data()),
                  "writing series and pipeline chunks");
    }
    /// Encode (in parallel) and write every complete block.
    void write_blocks() {
        if (complete_blocks.empty()) return;
        std::vector<std::pair<std::int64_t, const BlockBuf*>> bufs;
        for (auto& [b, blk] : complete_blocks) bufs.emplace_back(b, &blk);
        for (const auto& e : encode_blocks(layout, bufs)) store_encoded(e);
        complete_blocks.clear();
    }
    void block_done(std::int64_t b) {
        auto it = blocks.find(b);
        complete_blocks.emplace_back(b, std::move(it->second));
        blocks.erase(it);
        const auto cores = static_cast<std::size_t>(detail::hardware_threads());
        if (complete_blocks.size() >= std::max<std::size_t>(4, 2 * cores)) write_blocks();
    }
    void check_summary(const RunRecord& rec) const {
        if (rec.status == RunStatus::kDone && meta.weeks > 0 &&
            rec.output.summary.size() != static_cast<std::size_t>(kSummaryCount))
            throw IoError(fmt::format("run {} has {} summary values, not {}", rec.run_id,
                                      rec.output.summary.size(), kSummaryCount));
    }
    /// Everything of a run but its series and pipeline rows; true if the run has outputs.
    bool store_run(RunRecord& rec) {
        if (rec.run_id < 0 || rec.run_id >= meta.n_runs)
            throw IoError(fmt::format("run id {} out of range", rec.run_id));
        const auto i = static_cast<std::size_t>(rec.run_id);
        if (written[i]) throw IoError(fmt::format("run {} was written twice", rec.run_id));
        check_summary(rec);
        design_point[i] = rec.design_point;
        replication[i] = rec.replication;
        seed[i] = rec.seed;
        status[i] = static_cast<std::int8_t>(rec.status);
        error[i] = rec.error;
        wall[i] = rec.wall_seconds;
        written[i] = 1;
        if (rec.status == RunStatus::kDone && meta.weeks > 0) {
            const auto& out = rec.output;
            for (int k = 0; k < kSummaryCount; ++k)
                summary[static_cast<std::size_t>(k)][i] = out.summary[static_cast<std::size_t>(k)];
            pending_events[rec.run_id] =
                Pending{std::move(rec.output.events), std::move(rec.output.tables)};
            return true;
        }
        pending_events[rec.run_id] = {};
        return false;
    }

    /// Event rows waiting to be appended: whole chunks (kEventChunkRows) are encoded on all
    /// cores and stored with H5Dwrite_chunk once kEventBlockRows rows are waiting; the rest at
    /// finalize.
    static constexpr hsize_t kEventChunkRows = 65536;
    static constexpr std::size_t kEventBlockRows = 4 * kEventChunkRows;
    std::vector<std::int64_t> evb_run, evb_org;
    std::vector<std::int32_t> evb_week, evb_ngo;
    std::vector<std::uint8_t> evb_type, evb_from, evb_to;
    void write_event_block(bool final) {
        const std::size_t rows =
            final ? evb_run.size() : evb_run.size() / kEventChunkRows * kEventChunkRows;
        if (rows == 0) return;
        append_columns({{ev_run.get(), evb_run.data(), 8},
                        {ev_week.get(), evb_week.data(), 4},
                        {ev_ngo.get(), evb_ngo.data(), 4},
                        {ev_org.get(), evb_org.data(), 8},
                        {ev_type.get(), evb_type.data(), 1},
                        {ev_from.get(), evb_from.data(), 1},
                        {ev_to.get(), evb_to.data(), 1}},
                       n_events, rows, kEventChunkRows, "events");
        n_events += rows;
        const auto drop = [rows](auto& v) {
            v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rows));
        };
        drop(evb_run), drop(evb_org), drop(evb_week), drop(evb_ngo), drop(evb_type), drop(evb_from),
            drop(evb_to);
    }

    /// One column of rows to append (append_columns()): its dataset, raw data, element size.
    struct ColumnData {
        hid_t ds;
        const void* data;
        std::size_t elem;
    };
    /// Append `rows` rows of every column at row `start` (a multiple of `chunk`, the datasets'
    /// chunk size): the chunks are encoded like the datasets' filters would (shuffle, deflate 4)
    /// on all cores and stored with H5Dwrite_chunk; a last, partial chunk is padded (HDF5 stores
    /// edge chunks whole and reads only rows inside the extent).
    void append_columns(const std::vector<ColumnData>& cols, hsize_t start, std::size_t rows,
                        hsize_t chunk, const char* what) {
        const std::size_t per_col = (rows + chunk - 1) / chunk;
        std::vector<EncodedChunk> out(cols.size() * per_col);
        detail::parallel_for(out.size(), std::size_t{1}, [&](std::size_t begin, std::size_t end) {
            for (std::size_t j = begin; j < end; ++j) {
                const auto& c = cols[j / per_col];
                const std::size_t k = j % per_col, r0 = k * chunk,
                                  n = std::min<std::size_t>(chunk, rows - r0);
                const auto* src = static_cast<const unsigned char*>(c.data) + r0 * c.elem;
                if (n == chunk) {
                    out[j] = encode_chunk(src, n * c.elem, c.elem);
                } else {
                    std::vector<unsigned char> padded(chunk * c.elem, 0);
                    std::memcpy(padded.data(), src, n * c.elem);
                    out[j] = encode_chunk(padded.data(), padded.size(), c.elem);
                }
            }
        });
        const hsize_t total = start + rows;
        for (std::size_t i = 0; i < cols.size(); ++i) {
            check(H5Dset_extent(cols[i].ds, &total), std::string("extending ") + what);
            for (std::size_t k = 0; k < per_col; ++k) {
                const hsize_t offset = start + k * chunk;
                const auto& e = out[i * per_col + k];
                check(H5Dwrite_chunk(cols[i].ds, H5P_DEFAULT, e.filter_mask, &offset,
                                     e.bytes.size(), e.bytes.data()),
                      std::string("writing ") + what);
            }
        }
    }

    void write_networks() {
        if (networks.empty()) return;
        NetworkTable all;
        for (auto& [run, t] : networks) {
            all.edge_run.insert(all.edge_run.end(), t.edge_run.begin(), t.edge_run.end());
            all.source.insert(all.source.end(), t.source.begin(), t.source.end());
            all.target.insert(all.target.end(), t.target.begin(), t.target.end());
            all.edge_kind.insert(all.edge_kind.end(), t.edge_kind.begin(), t.edge_kind.end());
            all.vertex_run.insert(all.vertex_run.end(), t.vertex_run.begin(), t.vertex_run.end());
            all.vertex.insert(all.vertex.end(), t.vertex.begin(), t.vertex.end());
            all.vertex_kind.insert(all.vertex_kind.end(), t.vertex_kind.begin(),
                                   t.vertex_kind.end());
        }
        H g = make_group(file.get(), "network");
        attr_string(g.get(), "description",
                    "Generated organisation network (Boost.Graph, undirected) of the runs selected "
                    "with --network");
        {
            H e = make_group(g.get(), "edges");
            write_1d(e.get(), "run", H5T_NATIVE_INT64, all.edge_run);
            write_1d(e.get(), "source", H5T_NATIVE_UINT32, all.source);
            write_1d(e.get(), "target", H5T_NATIVE_UINT32, all.target);
            write_1d(e.get(), "kind", H5T_NATIVE_UINT8, all.edge_kind);
            std::vector<std::string_view> names(kTieKindNames.begin(), kTieKindNames.end());
            attr_strings(e.get(), "kind_names", names);
        }
        {
            H v = make_group(g.get(), "vertices");
            write_1d(v.get(), "run", H5T_NATIVE_INT64, all.vertex_run);
            write_1d(v.get(), "vertex", H5T_NATIVE_UINT32, all.vertex);
            write_1d(v.get(), "kind", H5T_NATIVE_UINT8, all.vertex_kind);
            std::vector<std::string_view> names(kOrgKindNames.begin(), kOrgKindNames.end());
            attr_strings(v.get(), "kind_names", names);
        }
        networks.clear();
    }

    H make_event_ds(hid_t group, const char* name, hid_t type) {
        return make_ext_ds(group, name, type, "events/", kEventChunkRows);
    }
    /// An extendable 1-d dataset (shuffle + deflate 4) of `chunk` elements per chunk.
    H make_ext_ds(hid_t group, const char* name, hid_t type, const std::string& where,
                  hsize_t chunk) {
        const hsize_t zero = 0, unlimited = H5S_UNLIMITED;
        H space(H5Screate_simple(1, &zero, &unlimited), H5Sclose);
        H plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
        H5Pset_chunk(plist.get(), 1, &chunk);
        H5Pset_shuffle(plist.get());
        H5Pset_deflate(plist.get(), 4);
        return checked(
            H5Dcreate2(group, name, type, space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT),
            H5Dclose, "creating " + where + name);
    }

    void flush_events(std::int64_t run, const std::vector<Event>& evs) {
        for (const auto& e : evs) {
            evb_run.push_back(run);
            evb_week.push_back(e.week);
            evb_ngo.push_back(e.ngo);
            evb_org.push_back(e.org);
            evb_type.push_back(static_cast<std::uint8_t>(e.type));
            evb_from.push_back(static_cast<std::uint8_t>(e.from));
            evb_to.push_back(static_cast<std::uint8_t>(e.to));
        }
        if (evb_run.size() >= kEventBlockRows) write_event_block(false);
    }

    /// Table rows waiting to be appended (row-major) with their run ids: rows are appended in
    /// blocks of kTableBlockRows, so that a compressed chunk is written once, not once per run.
    static constexpr std::size_t kTableBlockRows = 16384;
    /// Rows per chunk of a table column (4096 float64 = 32 KiB: small files stay small).
    static constexpr hsize_t kTableChunkRows = 4096;
    std::array<std::vector<double>, kTableCount> tab_buf;
    std::array<std::vector<std::int64_t>, kTableCount> tab_buf_run;

    void flush_tables(std::int64_t run,
                      const std::array<std::vector<double>, kTableCount>& tables) {
        for (int t = 0; t < kTableCount; ++t) {
            const auto cols = static_cast<std::size_t>(kTableSpecs[t].column_count);
            const auto& v = tables[t];
            tab_buf[t].insert(tab_buf[t].end(), v.begin(), v.end());
            tab_buf_run[t].insert(tab_buf_run[t].end(), v.size() / cols, run);
            if (tab_buf_run[t].size() >= kTableBlockRows) write_table_block(t, false);
        }
    }

    void write_table_block(int t, bool final) {
        const auto cols = static_cast<std::size_t>(kTableSpecs[t].column_count);
        const std::size_t rows = final ? tab_buf_run[t].size()
                                       : tab_buf_run[t].size() / kTableChunkRows * kTableChunkRows;
        if (rows == 0) return;
        std::vector<std::vector<double>> col(cols, std::vector<double>(rows));
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t c = 0; c < cols; ++c) col[c][r] = tab_buf[t][r * cols + c];
        std::vector<ColumnData> data{
            {tab_ds[t][0].get(), tab_buf_run[t].data(), sizeof(std::int64_t)}};
        for (std::size_t c = 0; c < cols; ++c)
            data.push_back({tab_ds[t][c + 1].get(), col[c].data(), sizeof(double)});
        append_columns(data, tab_rows[t], rows, kTableChunkRows, "tables");
        tab_rows[t] += rows;
        tab_buf[t].erase(tab_buf[t].begin(),
                         tab_buf[t].begin() + static_cast<std::ptrdiff_t>(rows * cols));
        tab_buf_run[t].erase(tab_buf_run[t].begin(),
                             tab_buf_run[t].begin() + static_cast<std::ptrdiff_t>(rows));
    }

    void drain_events(bool all) {
        while (true) {
            auto it = pending_events.find(next_event_run);
            if (it == pending_events.end()) {
                if (!all || next_event_run >= meta.n_runs) break;
                ++next_event_run;  // run never written (only when finalizing)
                continue;
            }
            flush_events(it->first, it->second.events);
            flush_tables(it->first, it->second.tables);
            pending_events.erase(it);
            ++next_event_run;
        }
    }
};

void check_output_folder(const std::filesystem::path& target, bool overwrite) {
    std::error_code ec;
    if (std::filesystem::exists(target, ec) && !overwrite)
        throw IoError("output file '" + target.string() +
                      "' already exists; pass --overwrite to replace it");
    auto dir = target.parent_path();
    if (dir.empty()) dir = ".";
    if (!std::filesystem::is_directory(dir, ec))
        throw IoError("output folder '" + dir.string() +
                      "' does not exist; create it first (mkdir -p '" + dir.string() +
                      "') or choose another -o path");
    if (access(dir.c_str(), W_OK) != 0)
        throw IoError("output folder '" + dir.string() + "' is not writable");
}

ResultsWriter::ResultsWriter(std::filesystem::path target, ResultsMeta meta, bool overwrite)
    : impl_(std::make_unique<Impl>()), target_(std::move(target)) {
    quiet_hdf5();
    std::error_code ec;
    if (target_.filename().empty())
        throw IoError("output path '" + target_.string() + "' names a folder, not a file");
    if (const auto st = std::filesystem::symlink_status(target_, ec);
        std::filesystem::exists(st) && !std::filesystem::is_regular_file(st) &&
        !std::filesystem::is_directory(st))  // a folder: finalize() says why
        throw IoError("output path '" + target_.string() +
                      "' is not a regular file (a link, device or pipe); pse-sim only replaces "
                      "regular files");
    check_output_folder(target_, overwrite);
    auto dir = target_.parent_path();
    if (dir.empty()) dir = ".";
    temp_ = dir / ("." + target_.filename().string() + ".tmp-" + std::to_string(getpid()));
    auto& m = *impl_;
    m.meta = std::move(meta);
    m.created = utc_now_text();
    m.file = checked(H5Fcreate(temp_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                     "creating " + temp_.string());
    const auto n_rows = static_cast<std::size_t>(m.meta.n_runs);
    const int n_weeks = m.meta.weeks;
    m.run_id.assign(n_rows, 0);
    m.design_point.assign(n_rows, 0);
    m.replication.assign(n_rows, 0);
    m.seed.assign(n_rows, 0);
    m.status.assign(n_rows, static_cast<std::int8_t>(RunStatus::kPending));
    m.error.assign(n_rows, "");
    m.wall.assign(n_rows, 0.0);
    m.written.assign(n_rows, 0);
    m.summary.assign(kSummaryCount,
                     std::vector<double>(n_rows, std::numeric_limits<double>::quiet_NaN()));
    for (std::size_t i = 0; i < n_rows; ++i) m.run_id[i] = static_cast<std::int64_t>(i);

    {  // inputs
        H g = make_group(m.file.get(), "inputs");
        write_strings(g.get(), "file_names", m.meta.file_names);
        write_strings(g.get(), "file_texts", m.meta.file_texts);
        write_strings(g.get(), "resolved", m.meta.resolved);
    }
    {  // design
        H g = make_group(m.file.get(), "design");
        std::vector<std::string> keys;
        for (const auto& c : m.meta.design) {
            write_1d(g.get(), c.key, H5T_NATIVE_DOUBLE, c.values);
            H d(H5Dopen2(g.get(), c.key.c_str(), H5P_DEFAULT), H5Dclose);
            attr_string(d.get(), "key", c.key);
            attr_string(d.get(), "role", c.role);
            if (c.max > c.min) {
                H space1(H5Screate(H5S_SCALAR), H5Sclose);
                for (const auto& [nm, val] :
                     {std::pair<const char*, double>{"min", c.min}, {"max", c.max}}) {
                    H a = checked(H5Acreate2(d.get(), nm, H5T_NATIVE_DOUBLE, space1.get(),
                                             H5P_DEFAULT, H5P_DEFAULT),
                                  H5Aclose, "creating attribute");
                    check(H5Awrite(a.get(), H5T_NATIVE_DOUBLE, &val), "writing attribute");
                }
            }
            if (!c.labels.empty()) {
                std::vector<std::string_view> lv(c.labels.begin(), c.labels.end());
                attr_strings(d.get(), "labels", lv);
            }
            keys.push_back(c.key);
        }
        write_strings(g.get(), "_keys", keys);
        write_strings(g.get(), "_labels", m.meta.point_labels);
    }
    {  // series
        m.series_group = make_group(m.file.get(), "series");
        const hsize_t dims[2] = {static_cast<hsize_t>(n_rows), static_cast<hsize_t>(n_weeks)};
        m.layout = ChunkLayout::of(m.meta.n_runs, n_weeks);
        const hsize_t chunk[2] = {static_cast<hsize_t>(m.layout.block_rows),
                                  static_cast<hsize_t>(std::max(1, n_weeks))};
        for (const auto& spec : kSeriesSpecs) {
            H space(H5Screate_simple(2, dims, nullptr), H5Sclose);
            H plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
            if (n_rows > 0 && n_weeks > 0) {
                H5Pset_chunk(plist.get(), 2, chunk);
                H5Pset_shuffle(plist.get());
                H5Pset_deflate(plist.get(), 4);
            }
            const double nan = std::numeric_limits<double>::quiet_NaN();
            H5Pset_fill_value(plist.get(), H5T_NATIVE_DOUBLE, &nan);
            const std::string name(spec.name);
            H d = checked(H5Dcreate2(m.series_group.get(), name.c_str(), H5T_NATIVE_DOUBLE,
                                     space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT),
                          H5Dclose, "creating series/" + name);
            attr_string(d.get(), "unit", std::string(spec.unit));
            attr_string(d.get(), "kind", std::string(spec.kind));
            attr_string(d.get(), "description", std::string(spec.description));
            m.series_ds.push_back(std::move(d));
        }
        const hsize_t pdims[3] = {static_cast<hsize_t>(n_rows), static_cast<hsize_t>(n_weeks),
                                  kStageCount};
        const hsize_t pchunk[3] = {static_cast<hsize_t>(m.layout.pipe_rows),
                                   static_cast<hsize_t>(std::max(1, n_weeks)), kStageCount};
        H space(H5Screate_simple(3, pdims, nullptr), H5Sclose);
        H plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
        if (n_rows > 0 && n_weeks > 0) {
            H5Pset_chunk(plist.get(), 3, pchunk);
            H5Pset_shuffle(plist.get());
            H5Pset_deflate(plist.get(), 4);
        }
        m.pipeline_ds = checked(H5Dcreate2(m.series_group.get(), "pipeline", H5T_NATIVE_FLOAT,
                                           space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT),
                                H5Dclose, "creating series/pipeline");
        attr_strings(m.pipeline_ds.get(), "stage_names", stage_names());
        attr_string(m.pipeline_ds.get(), "unit", "engagements");
        attr_string(
            m.pipeline_ds.get(), "description",
            "Relationships per engagement stage each week (terminal stages are cumulative)");
    }
    {  // events
        H g = make_group(m.file.get(), "events");
        m.ev_run = m.make_event_ds(g.get(), "run", H5T_NATIVE_INT64);
        m.ev_week = m.make_event_ds(g.get(), "week", H5T_NATIVE_INT32);
        m.ev_ngo = m.make_event_ds(g.get(), "ngo", H5T_NATIVE_INT32);
        m.ev_org = m.make_event_ds(g.get(), "org", H5T_NATIVE_INT64);
        m.ev_type = m.make_event_ds(g.get(), "type", H5T_NATIVE_UINT8);
        m.ev_from = m.make_event_ds(g.get(), "stage_from", H5T_NATIVE_UINT8);
        m.ev_to = m.make_event_ds(g.get(), "stage_to", H5T_NATIVE_UINT8);
        std::vector<std::string_view> tnames(kEventNames.begin(), kEventNames.end());
        attr_strings(g.get(), "type_names", tnames);
        attr_strings(g.get(), "stage_names", stage_names());
    }
    for (int t = 0; t < kTableCount;
         ++t) {  // per-run tables: /<table>/run and one dataset per column
        const auto& spec = kTableSpecs[t];
        const std::string tname(spec.name);
        H g = make_group(m.file.get(), tname.c_str());
        attr_string(g.get(), "description", std::string(spec.description));
        m.tab_ds[t].push_back(
            m.make_ext_ds(g.get(), "run", H5T_NATIVE_INT64, tname + "/", Impl::kTableChunkRows));
        for (int c = 0; c < spec.column_count; ++c) {
            const auto& col = spec.columns[c];
            const std::string cname(col.name);
            H d = m.make_ext_ds(g.get(), cname.c_str(), H5T_NATIVE_DOUBLE, tname + "/",
                                Impl::kTableChunkRows);
            attr_string(d.get(), "unit", std::string(col.unit));
            attr_string(d.get(), "description", std::string(col.description));
            const auto labels = column_labels(col);
            if (!labels.empty()) {
                std::vector<std::string_view> lv(labels.begin(), labels.end());
                attr_strings(d.get(), "labels", lv);
            }
            m.tab_ds[t].push_back(std::move(d));
        }
    }
}

ResultsWriter::~ResultsWriter() {
    if (!finalized_) {
        impl_.reset();  // close handles first
        std::error_code ec;
        std::filesystem::remove(temp_, ec);
    }
}

void ResultsWriter::write_run(RunRecord rec) {
    auto& m = *impl_;
    const int n_weeks = m.meta.weeks;
    if (rec.status == RunStatus::kDone && n_weeks > 0) {
        const auto& out = rec.output;
        if (out.weeks != n_weeks ||
            out.series.size() != static_cast<std::size_t>(n_weeks) * kSeriesCount ||
            out.pipeline.size() != static_cast<std::size_t>(n_weeks) * kStageCount)
            throw IoError(
                fmt::format("run {} produced {} week(s) of results, but the file holds {} weeks",
                            rec.run_id, out.weeks, n_weeks));
    }
    const std::int64_t id = rec.run_id;
    if (id >= 0 && id < m.meta.n_runs && !m.written[static_cast<std::size_t>(id)] &&
        rec.status == RunStatus::kDone && n_weeks > 0)
        m.block_for(m.layout.block_of(id))
            .put(m.layout, static_cast<std::size_t>(id % m.layout.block_rows), rec.output);
    m.store_run(rec);   // checks the id and a second write before anything else is kept
    if (n_weeks > 0) {  // the row is complete (a failed run's row keeps the fill values)
        const auto b = m.layout.block_of(id);
        if (static_cast<std::int64_t>(++m.block_for(b).filled) == m.layout.rows_in_block(b))
            m.block_done(b);
    }
    m.drain_events(false);
}

void ResultsWriter::write_block(const EncodedBlock& blk, std::vector<RunRecord> runs) {
    auto& m = *impl_;
    const auto& layout = m.layout;
    if (blk.block < 0 || blk.block >= layout.n_blocks())
        throw IoError(
            fmt::format("block {} is outside this file's {} blocks", blk.block, layout.n_blocks()));
    if (static_cast<std::int64_t>(runs.size()) != layout.rows_in_block(blk.block) ||
        m.blocks.count(blk.block))
        throw IoError(fmt::format("block {} must be stored with its {} runs, none written before",
                                  blk.block, layout.rows_in_block(blk.block)));
    std::sort(runs.begin(), runs.end(),
              [](const auto& a, const auto& b) { return a.run_id < b.run_id; });
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const auto id = blk.block * layout.block_rows + static_cast<std::int64_t>(i);
        if (runs[i].run_id != id || m.written[static_cast<std::size_t>(id)])
            throw IoError(
                fmt::format("block {} must be stored with its {} runs, none written before",
                            blk.block, layout.rows_in_block(blk.block)));
    }
    for (const auto& r : runs) m.check_summary(r);
    check_encoded_block(layout, blk);
    m.store_encoded(blk);
    for (auto& r : runs) m.store_run(r);
    m.drain_events(false);
}

void ResultsWriter::write_network(std::int64_t run_id, const Network& net) {
    auto& m = *impl_;
    if (run_id < 0 || run_id >= m.meta.n_runs)
        throw IoError(fmt::format("network of run id {} out of range", run_id));
    if (m.networks.count(run_id))
        throw IoError(fmt::format("network of run {} stored twice", run_id));
    NetworkTable t;
    const auto n = boost::num_vertices(net.graph);
    t.vertex_run.assign(n, run_id);
    for (std::size_t v = 0; v < n; ++v) {
        t.vertex.push_back(static_cast<std::uint32_t>(v));
        t.vertex_kind.push_back(static_cast<std::uint8_t>(net.graph[v].kind));
    }
    for (const auto& e : boost::make_iterator_range(boost::edges(net.graph))) {
        const auto a = static_cast<std::uint32_t>(boost::source(e, net.graph));
        const auto b = static_cast<std::uint32_t>(boost::target(e, net.graph));
        t.source.push_back(std::min(a, b));
        t.target.push_back(std::max(a, b));
        t.edge_kind.push_back(static_cast<std::uint8_t>(net.graph[e].kind));
    }
    t.edge_run.assign(t.source.size(), run_id);
    m.networks.emplace(run_id, std::move(t));
}

void ResultsWriter::finalize() {
    auto& m = *impl_;
    try {
        m.drain_events(true);
        m.write_event_block(true);
        for (int t = 0; t < kTableCount; ++t) m.write_table_block(t, true);
        for (auto& [b, blk] : m.blocks) m.complete_blocks.emplace_back(b, std::move(blk));
        m.blocks.clear();
        m.write_blocks();
        m.write_networks();
        hid_t f = m.file.get();
        {
            H g = make_group(f, "runs");
            write_1d(g.get(), "run_id", H5T_NATIVE_INT64, m.run_id);
            write_1d(g.get(), "design_point", H5T_NATIVE_INT64, m.design_point);
            write_1d(g.get(), "replication", H5T_NATIVE_INT64, m.replication);
            write_1d(g.get(), "seed", H5T_NATIVE_UINT64, m.seed);
            write_1d(g.get(), "status", H5T_NATIVE_INT8, m.status);
            write_strings(g.get(), "error", m.error);
            write_1d(g.get(), "wall_seconds", H5T_NATIVE_DOUBLE, m.wall);
            {
                H d(H5Dopen2(g.get(), "status", H5P_DEFAULT), H5Dclose);
                attr_string(d.get(), "description", "0 = not run, 1 = done, 2 = failed");
            }
            H sg = make_group(g.get(), "summary");
            for (int k = 0; k < kSummaryCount; ++k) {
                const std::string name(kSummarySpecs[k].name);
                write_1d(sg.get(), name, H5T_NATIVE_DOUBLE, m.summary[k]);
                H d(H5Dopen2(sg.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
                attr_string(d.get(), "unit", std::string(kSummarySpecs[k].unit));
                attr_string(d.get(), "kind", std::string(kSummarySpecs[k].kind));
                attr_string(d.get(), "description", std::string(kSummarySpecs[k].description));
            }
        }
        attr_string(f, "format", "pse-sim results");
        attr_int(f, "format_version", kFormatVersion);
        attr_string(f, "pse_sim_version", kVersion);
        attr_string(f, "git_commit", kGitCommit);
        attr_string(f, "created_utc", m.created);
        attr_string(f, "command_line", m.meta.command_line);
        attr_string(f, "host", host_name());
        attr_string(f, "scenario_name", m.meta.scenario_name);
        attr_int(f, "weeks", m.meta.weeks);
        attr_int(f, "n_runs", m.meta.n_runs);
        attr_int(f, "n_design_points", m.meta.n_design_points);
        attr_int(f, "replications", m.meta.replications);
        attr_string(f, "design_method", m.meta.design_method);
        attr_int(f, "sobol_base_samples", m.meta.design_method == "sobol" ? m.meta.samples : 0);
        attr_int(f, "morris_trajectories", m.meta.design_method == "morris" ? m.meta.samples : 0);
        attr_int(f, "morris_levels", m.meta.design_method == "morris" ? m.meta.levels : 0);
        attr_int(f, "master_seed", static_cast<std::int64_t>(m.meta.master_seed));
        attr_int(f, "posterior_draws", m.meta.posterior_draws);
        attr_string(f, "posterior_file", m.meta.posterior_file);
        attr_int(f, "common_random_numbers", m.meta.common_random_numbers ? 1 : 0);
        m.series_ds.clear();
        m.pipeline_ds.reset();
        m.ev_run.reset();
        m.ev_week.reset();
        m.ev_ngo.reset();
        m.ev_org.reset();
        m.ev_type.reset();
        m.ev_from.reset();
        m.ev_to.reset();
        m.series_group.reset();
        check(H5Fflush(f, H5F_SCOPE_GLOBAL), "flushing the results file");
        m.file.reset();
    } catch (...) {
        impl_.reset();
        std::error_code ec;
        std::filesystem::remove(temp_, ec);
        finalized_ = true;
        throw;
    }
    std::error_code ec;
    // Checked again just before the rename: something other than a regular file may have been put
    // at the target while the file was written; rename() would replace it (e.g. /dev/null as root).
    if (const auto st = std::filesystem::symlink_status(target_, ec);
        std::filesystem::exists(st) && !std::filesystem::is_regular_file(st) &&
        !std::filesystem::is_directory(st)) {
        std::filesystem::remove(temp_, ec);
        finalized_ = true;
        throw IoError(
            "output path '" + target_.string() +
            "' is no longer a regular file (a link, device or pipe was put there); not replaced");
    }
    std::filesystem::rename(temp_, target_, ec);
    if (ec) {
        std::error_code ec2;
        std::filesystem::remove(temp_, ec2);
        finalized_ = true;
        throw IoError("cannot move results into place at '" + target_.string() +
                      "': " + ec.message());
    }
    finalized_ = true;
}

// ---------------------------------------------------------------------------------------------
// Reader

namespace {}  // namespace

std::vector<std::string> column_labels(const ColumnSpec& col) {
    std::vector<std::string> out;
    if (col.labels == "@stage") {
        for (int i = 0; i < kStageCount; ++i) out.emplace_back(stage_name(static_cast<Stage>(i)));
    } else if (col.labels == "@end_cause") {
        for (const auto n : kEndCauseNames) out.emplace_back(n);
    } else if (!col.labels.empty()) {
        std::string_view rest = col.labels;
        while (true) {
            const auto comma = rest.find(',');
            out.emplace_back(rest.substr(0, comma));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return out;
}

ResultsData read_results(const std::filesystem::path& file, bool with_series) {
    quiet_hdf5();
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        throw IoError("results file '" + file.string() + "' not found");
    // Never open anything but a regular file: a named pipe blocks in open() for ever
    // (docs/BAD_INPUT.md).
    if (!std::filesystem::is_regular_file(file, ec))
        throw IoError("'" + file.string() +
                      "' is not a regular file (a folder, pipe or device), not a results file");
    if (H5Fis_hdf5(file.c_str()) <= 0) throw IoError("'" + file.string() + "' is not an HDF5 file");
    H f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!f.ok()) throw IoError("cannot open '" + file.string() + "' (damaged HDF5 file?)");
    ResultsData r;
    for (const char* name :
         {"format", "format_version", "pse_sim_version", "git_commit", "created_utc",
          "command_line", "host", "scenario_name", "weeks", "n_runs", "n_design_points",
          "replications", "posterior_draws", "posterior_file"})
        r.attrs[name] = read_attr_string(f.get(), name);
    if (r.attrs["format"] != "pse-sim results")
        throw IoError("'" + file.string() + "' is an HDF5 file but not a pse-sim results file");
    const int version = std::atoi(r.attrs["format_version"].c_str());
    if (version > kFormatVersion)
        throw IoError(fmt::format(
            "'{}' has results format version {}, newer than this pse-sim understands ({}); "
            "upgrade pse-sim",
            file.string(), version, kFormatVersion));
    r.n_runs = std::atoll(r.attrs["n_runs"].c_str());
    r.weeks = std::atoi(r.attrs["weeks"].c_str());
    H runs(H5Gopen2(f.get(), "runs", H5P_DEFAULT), H5Gclose);
    r.run_id = read_1d<std::int64_t>(runs.get(), "run_id", H5T_NATIVE_INT64);
    r.design_point = read_1d<std::int64_t>(runs.get(), "design_point", H5T_NATIVE_INT64);
    r.replication = read_1d<std::int64_t>(runs.get(), "replication", H5T_NATIVE_INT64);
    r.seed = read_1d<std::uint64_t>(runs.get(), "seed", H5T_NATIVE_UINT64);
    r.status = read_1d<std::int8_t>(runs.get(), "status", H5T_NATIVE_INT8);
    r.error = read_strings(runs.get(), "error");
    r.wall_seconds = read_1d<double>(runs.get(), "wall_seconds", H5T_NATIVE_DOUBLE);
    H sg(H5Gopen2(runs.get(), "summary", H5P_DEFAULT), H5Gclose);
    for (const auto& spec : kSummarySpecs)
        r.summary[std::string(spec.name)] =
            read_1d<double>(sg.get(), std::string(spec.name), H5T_NATIVE_DOUBLE);
    H dg(H5Gopen2(f.get(), "design", H5P_DEFAULT), H5Gclose);
    r.design_keys = read_strings(dg.get(), "_keys");
    for (const auto& k : r.design_keys) {
        r.design[k] = read_1d<double>(dg.get(), k, H5T_NATIVE_DOUBLE);
        if (auto labels = read_attr_strings(dg.get(), k, "labels"); !labels.empty())
            r.design_labels[k] = std::move(labels);
    }
    if (with_series) {
        H ser(H5Gopen2(f.get(), "series", H5P_DEFAULT), H5Gclose);
        for (const auto& spec : kSeriesSpecs)
            r.series[std::string(spec.name)] =
                read_1d<double>(ser.get(), std::string(spec.name), H5T_NATIVE_DOUBLE);
    }
    H eg(H5Gopen2(f.get(), "events", H5P_DEFAULT), H5Gclose);
    {
        H d(H5Dopen2(eg.get(), "run", H5P_DEFAULT), H5Dclose);
        H space(H5Dget_space(d.get()), H5Sclose);
        r.n_events = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
    }
    for (const auto& spec : kTableSpecs) {  // per-run tables (absent in files of older versions)
        const std::string tname(spec.name);
        if (H5Lexists(f.get(), tname.c_str(), H5P_DEFAULT) <= 0) continue;
        H g(H5Gopen2(f.get(), tname.c_str(), H5P_DEFAULT), H5Gclose);
        if (!g.ok()) throw IoError("'" + file.string() + "' has a damaged /" + tname + " group");
        auto& t = r.tables[tname];
        const auto run = read_1d<std::int64_t>(g.get(), "run", H5T_NATIVE_INT64);
        t["run"].assign(run.begin(), run.end());
        for (int c = 0; c < spec.column_count; ++c) {
            const std::string cname(spec.columns[c].name);
            t[cname] = read_1d<double>(g.get(), cname, H5T_NATIVE_DOUBLE);
        }
    }
    if (H5Lexists(f.get(), "network", H5P_DEFAULT) > 0) {
        H g(H5Gopen2(f.get(), "network/vertices", H5P_DEFAULT), H5Gclose);
        if (!g.ok()) throw IoError("'" + file.string() + "' has a damaged /network group");
        auto net_runs = read_1d<std::int64_t>(g.get(), "run", H5T_NATIVE_INT64);
        net_runs.erase(std::unique(net_runs.begin(), net_runs.end()), net_runs.end());
        r.n_network_runs = net_runs.size();
    }
    return r;
}

std::vector<std::int64_t> NetworkTable::runs() const {
    std::vector<std::int64_t> out(vertex_run);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

NetworkTable read_network(const std::filesystem::path& file) {
    (void)read_results(file, false);  // validates the file (format, version)
    NetworkTable t;
    H f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (H5Lexists(f.get(), "network", H5P_DEFAULT) <= 0) return t;
    H e(H5Gopen2(f.get(), "network/edges", H5P_DEFAULT), H5Gclose);
    H v(H5Gopen2(f.get(), "network/vertices", H5P_DEFAULT), H5Gclose);
    if (!e.ok() || !v.ok()) throw IoError("'" + file.string() + "' has a damaged /network group");
    t.edge_run = read_1d<std::int64_t>(e.get(), "run", H5T_NATIVE_INT64);
    t.source = read_1d<std::uint32_t>(e.get(), "source", H5T_NATIVE_UINT32);
    t.target = read_1d<std::uint32_t>(e.get(), "target", H5T_NATIVE_UINT32);
    t.edge_kind = read_1d<std::uint8_t>(e.get(), "kind", H5T_NATIVE_UINT8);
    t.vertex_run = read_1d<std::int64_t>(v.get(), "run", H5T_NATIVE_INT64);
    t.vertex = read_1d<std::uint32_t>(v.get(), "vertex", H5T_NATIVE_UINT32);
    t.vertex_kind = read_1d<std::uint8_t>(v.get(), "kind", H5T_NATIVE_UINT8);
    if (t.source.size() != t.edge_run.size() || t.target.size() != t.edge_run.size() ||
        t.edge_kind.size() != t.edge_run.size() || t.vertex.size() != t.vertex_run.size() ||
        t.vertex_kind.size() != t.vertex_run.size())
        throw IoError("'" + file.string() +
                      "' has a damaged /network group (dataset sizes disagree)");
    return t;
}

std::vector<RunEvent> read_events(const std::filesystem::path& file) {
    (void)read_results(file, false);  // validates the file (format, version)
    H f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    H g(H5Gopen2(f.get(), "events", H5P_DEFAULT), H5Gclose);
    const auto run = read_1d<std::int64_t>(g.get(), "run", H5T_NATIVE_INT64);
    const auto week = read_1d<std::int32_t>(g.get(), "week", H5T_NATIVE_INT32);
    const auto ngo = read_1d<std::int32_t>(g.get(), "ngo", H5T_NATIVE_INT32);
    const auto org = read_1d<std::int64_t>(g.get(), "org", H5T_NATIVE_INT64);
    const auto type = read_1d<std::uint8_t>(g.get(), "type", H5T_NATIVE_UINT8);
    const auto from = read_1d<std::uint8_t>(g.get(), "stage_from", H5T_NATIVE_UINT8);
    const auto to = read_1d<std::uint8_t>(g.get(), "stage_to", H5T_NATIVE_UINT8);
    std::vector<RunEvent> out(run.size());
    for (std::size_t i = 0; i < run.size(); ++i)
        out[i] = RunEvent{run[i], Event{week[i], ngo[i], org[i], static_cast<EventType>(type[i]),
                                        static_cast<Stage>(from[i]), static_cast<Stage>(to[i])}};
    return out;
}

}  // namespace pse
