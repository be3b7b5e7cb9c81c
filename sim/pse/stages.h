#pragma once
/// Engagement stages of the two PSE work streams, as explicit state machines.
///
/// Work stream 1 (innovative prevention mechanisms), after docs/EVIDENCE.md §2
/// (sources: 003_3cab25d95e2718fc.txt Overview and Learning 2; 000_78b32c0139113a71.txt
/// Learning 2):
///   identified → first_meeting → interests_aligned → due_diligence → concept_note → negotiation
///   → agreement → co_creation → implementation → sustained | dissolved, with exits to dropped
///   from every pre-agreement stage.
/// Work stream 2 (survivor employment, 003 Overview "second stream"; docs/EVIDENCE.md §2 WS2):
///   identified → government_consulted → company_discussions → candidates_matched → training
///   → placed → supported, with exits to dropped (before placement) or dissolved.
#include <array>
#include <cstdint>
#include <string_view>

namespace pse {

/// Work stream of an engagement.
enum class Stream : std::uint8_t { kNone = 0, kPrevention = 1, kSurvivorEmployment = 2 };
/// Number of Stream values (kNone, WS1, WS2): the size of arrays indexed by a stream's value.
inline constexpr std::size_t kStreamCount = 3;

/// One engagement stage. Values are stable: they are written to results files (events table).
enum class Stage : std::uint8_t {
    kNone = 0,  ///< no engagement (relationship exists only as trust)
    // work stream 1
    kIdentified = 1,
    kFirstMeeting = 2,
    kInterestsAligned = 3,
    kDueDiligence = 4,
    kConceptNote = 5,
    kNegotiation = 6,
    kAgreement = 7,
    kCoCreation = 8,
    kImplementation = 9,
    kSustained = 10,  ///< continues after the project's end date (handover)
    // work stream 2
    kWs2Identified = 11,
    kGovernmentConsulted = 12,
    kCompanyDiscussions = 13,
    kCandidatesMatched = 14,
    kTraining = 15,
    kPlaced = 16,
    kSupported = 17,
    // terminal
    kDropped = 18,    ///< ended before an agreement / before placement
    kDissolved = 19,  ///< ended after an agreement
};
inline constexpr int kStageCount = 20;

/// Stable snake_case name of a stage (as used in scenario keys and results).
constexpr std::string_view stage_name(Stage s) {
    constexpr std::array<std::string_view, kStageCount> kNames = {"none",
                                                                  "identified",
                                                                  "first_meeting",
                                                                  "interests_aligned",
                                                                  "due_diligence",
                                                                  "concept_note",
                                                                  "negotiation",
                                                                  "agreement",
                                                                  "co_creation",
                                                                  "implementation",
                                                                  "sustained",
                                                                  "ws2_identified",
                                                                  "government_consulted",
                                                                  "company_discussions",
                                                                  "candidates_matched",
                                                                  "training",
                                                                  "placed",
                                                                  "supported",
                                                                  "dropped",
                                                                  "dissolved"};
    return kNames[static_cast<std::size_t>(s)];
}

/// Work-stream-1 stages that advance by an effort-limited hazard (identified .. implementation).
inline constexpr std::array<Stage, 9> kWs1ActiveStages = {
    Stage::kIdentified,   Stage::kFirstMeeting, Stage::kInterestsAligned,
    Stage::kDueDiligence, Stage::kConceptNote,  Stage::kNegotiation,
    Stage::kAgreement,    Stage::kCoCreation,   Stage::kImplementation};
/// Work-stream-2 stages that advance by an effort-limited hazard.
inline constexpr std::array<Stage, 7> kWs2ActiveStages = {
    Stage::kWs2Identified,      Stage::kGovernmentConsulted,
    Stage::kCompanyDiscussions, Stage::kCandidatesMatched,
    Stage::kTraining,           Stage::kPlaced,
    Stage::kSupported};

constexpr bool is_terminal(Stage s) {
    return s == Stage::kDropped || s == Stage::kDissolved;
}
constexpr bool is_ws1(Stage s) {
    return s >= Stage::kIdentified && s <= Stage::kSustained;
}
constexpr bool is_ws2(Stage s) {
    return s >= Stage::kWs2Identified && s <= Stage::kSupported;
}
constexpr bool is_active(Stage s) {
    return s != Stage::kNone && !is_terminal(s);
}
/// True once a formal agreement exists (WS1 agreement or later; WS2 company discussions or later,
/// which 003 Learning 5 counts as a partnership).
constexpr bool is_post_agreement(Stage s) {
    return (s >= Stage::kAgreement && s <= Stage::kSustained) ||
           (s >= Stage::kCompanyDiscussions && s <= Stage::kSupported);
}
/// Stage that follows s on success (kNone for stages with no successor).
constexpr Stage next_stage(Stage s) {
    switch (s) {
        case Stage::kImplementation:
            return Stage::kNone;  // leaves only at project end / dissolution
        case Stage::kSupported:
            return Stage::kCompanyDiscussions;  // next cohort of the same partnership
        case Stage::kSustained:
            return Stage::kNone;
        default:
            if (is_ws1(s) || is_ws2(s)) return static_cast<Stage>(static_cast<int>(s) + 1);
            return Stage::kNone;
    }
}

}  // namespace pse
