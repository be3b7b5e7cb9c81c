#pragma once
/// Named random-stream codes of the model (the `phase` word of Rng; docs/ODD.md section 3,
/// "RNG keying"). A draw is a pure function of (seed, entity kind, entity id, week, phase, draw),
/// so every use of randomness in the model names its stream here and nowhere else.
///
/// Values are stable: changing one changes every result that uses it.
#include <cstdint>

namespace pse::rng_phase {

// --- kCompany streams (entity id: company index) ---
inline constexpr std::uint32_t kInitCompany =
    1;  ///< week 0: sector, CSR, decision month, time to value, workers
inline constexpr std::uint32_t kInitAlignment = 2;       ///< week 0: alignment Beta draw
inline constexpr std::uint32_t kInitLabourPractice = 3;  ///< week 0: labour-practice Beta draw
inline constexpr std::uint32_t kTurnover = 20;           ///< representative turnover (7.4)
inline constexpr std::uint32_t kCascade = 70;            ///< supplier improvement (7.10)

// --- kNgo streams (entity id: NGO index) ---
inline constexpr std::uint32_t kBudget = 10;       ///< yearly budget draw (7.2)
inline constexpr std::uint32_t kCut = 11;          ///< yearly budget cut (7.2)
inline constexpr std::uint32_t kFollowOn = 12;     ///< follow-on decision (7.2)
inline constexpr std::uint32_t kEvent = 30;        ///< outreach events (7.9)
inline constexpr std::uint32_t kInbound = 31;      ///< inbound leads (7.9)
inline constexpr std::uint32_t kInboundPick = 32;  ///< which company a lead is (7.9)
inline constexpr std::uint32_t kTarget = 33;       ///< WS1 targets this week (7.9)
inline constexpr std::uint32_t kTargetPick = 34;   ///< which company a WS1 target is (7.9)
inline constexpr std::uint32_t kWs2Target = 35;    ///< WS2 targets this week (7.9)
inline constexpr std::uint32_t kWs2Pick = 36;      ///< which company a WS2 target is (7.9)

// --- kRelationship streams (entity id: company index; NGO index in the phase, see ngo_phase) ---
inline constexpr std::uint32_t kAdvance = 40;  ///< stage advance (7.5, 7.6)
inline constexpr std::uint32_t kDrop = 41;     ///< pre-agreement drop-out (7.5)
inline constexpr std::uint32_t kScreen =
    43;  ///< draw 0: alignment screen; draw 1: ethical screen (7.5)
inline constexpr std::uint32_t kExit = 44;  ///< post-agreement dissolution (7.5)
inline constexpr std::uint32_t kCsrChange =
    45;                                      ///< CSR strategy change at the decision month (7.5)
inline constexpr std::uint32_t kAbuse = 46;  ///< abuse found (7.8)
inline constexpr std::uint32_t kAbusePick = 47;  ///< which supplier is inspected (7.8)
inline constexpr std::uint32_t kNdaLeak = 48;    ///< non-disclosure leak (7.8)
inline constexpr std::uint32_t kBrokerage = 49;  ///< brokerage (7.7)
inline constexpr std::uint32_t kCohort = 50;     ///< WS2 cohort size (7.6)
inline constexpr std::uint32_t kRetention =
    51;                                      ///< WS2 survivor exit (draw = survivor index) (7.6)
inline constexpr std::uint32_t kMatch = 52;  ///< WS2 candidate match (7.6)
inline constexpr std::uint32_t kEnd = 60;    ///< continuation at the project end (7.2)
inline constexpr std::uint32_t kResources = 61;  ///< company money at agreement (7.5)
// targeting (kNgo stream, entity id: NGO index):
inline constexpr std::uint32_t kTargetPool =
    140;  ///< mixed targeting: is WS1 target i an MNC (7.9)
// the company's decision to engage (7.12)
inline constexpr std::uint32_t kAccept = 62;  ///< company accepts a first meeting
inline constexpr std::uint32_t kAlignNoise =
    63;  ///< the NGO's alignment-estimate error (fixed per pair)
inline constexpr std::uint32_t kLegalExposure =
    64;                                           ///< company stream: exposed to home-country law
inline constexpr std::uint32_t kReportExit = 65;  ///< company leaves after an abuse report (7.8)
inline constexpr std::uint32_t kMechType = 66;   ///< mechanism type of a partnership (7.10; week 0)
inline constexpr std::uint32_t kReversion = 71;  ///< supplier reversion (kCompany stream, 7.10)

/// Phase word of a relationship stream: the NGO index above the 8-bit stream code, so that the
/// streams of (NGO n, company c) and (NGO m, company c) differ. n must be below 2^16 (the Rng
/// phase field has 24 bits; the loader limits the NGO count to 60,000).
constexpr std::uint32_t ngo_phase(std::uint32_t ngo, std::uint32_t code) {
    return (ngo << 8) | code;
}

}  // namespace pse::rng_phase
