// A strict reader of Prometheus' text exposition format 0.0.4, for the tests: every line's syntax,
// HELP and TYPE once per family and before its samples, histograms cumulative up to +Inf == _count.
#pragma once

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace tradehost::test {

struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct Exposition {
    std::map<std::string, std::string> types;  // family -> counter / gauge / histogram
    std::map<std::string, std::string> helps;
    std::vector<Sample> samples;

    // The value of the one sample with this name and these labels (all of them); throws if none.
    double value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
        for (const auto& s : samples)
            if (s.name == name && s.labels == labels) return s.value;
        throw std::runtime_error("no sample " + name);
    }
    bool has(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
        for (const auto& s : samples)
            if (s.name == name && s.labels == labels) return true;
        return false;
    }
};

inline bool isNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
inline bool isNameChar(char c) { return isNameStart(c) || (c >= '0' && c <= '9'); }

// Throws std::runtime_error naming the line (1-based) and what is wrong with it.
inline Exposition parseExposition(const std::string& text) {
    Exposition out;
    if (!text.empty() && text.back() != '\n') throw std::runtime_error("the text does not end in a line feed");
    std::set<std::string> seenSamplesOf;  // families whose samples have started
    std::string lastFamily;
    std::size_t lineNo = 0, pos = 0;
    auto fail = [&](const std::string& why) {
        throw std::runtime_error("line " + std::to_string(lineNo) + ": " + why);
    };
    auto familyOf = [&](const std::string& name) {
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
            const std::string s = suffix;
            if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
                const std::string base = name.substr(0, name.size() - s.size());
                if (out.types.count(base) && out.types.at(base) == "histogram") return base;
            }
        }
        return name;
    };
    auto parseValue = [&](const std::string& v) -> double {
        if (v == "+Inf") return INFINITY;
        if (v == "-Inf") return -INFINITY;
        if (v == "NaN") return NAN;
        if (v.empty()) fail("empty value");
        char* end = nullptr;
        const double d = std::strtod(v.c_str(), &end);
        if (*end != '\0' || v == "inf" || v == "nan") fail("value '" + v + "' is not a number");
        return d;
    };
    while (pos < text.size()) {
        ++lineNo;
        const std::size_t nl = text.find('\n', pos);
        const std::string line = text.substr(pos, nl - pos);
        pos = nl + 1;
        if (line.empty()) fail("empty line");
        if (line[0] == '#') {
            const bool help = line.rfind("# HELP ", 0) == 0, type = line.rfind("# TYPE ", 0) == 0;
            if (!help && !type) fail("a comment that is neither HELP nor TYPE");
            const std::string rest = line.substr(7);
            const std::size_t sp = rest.find(' ');
            if (sp == std::string::npos) fail("HELP/TYPE without text");
            const std::string name = rest.substr(0, sp), what = rest.substr(sp + 1);
            if (name.empty() || !isNameStart(name[0])) fail("bad metric name '" + name + "'");
            for (const char c : name)
                if (!isNameChar(c)) fail("bad metric name '" + name + "'");
            if (seenSamplesOf.count(name)) fail("HELP/TYPE of " + name + " after its samples");
            if (help) {
                if (out.helps.count(name)) fail("second HELP for " + name);
                for (std::size_t i = 0; i < what.size(); ++i)
                    if (what[i] == '\\' && (i + 1 >= what.size() || (what[i + 1] != '\\' && what[i + 1] != 'n')))
                        fail("bad escape in HELP");
                    else if (what[i] == '\\')
                        ++i;
                out.helps[name] = what;
            } else {
                if (out.types.count(name)) fail("second TYPE for " + name);
                if (what != "counter" && what != "gauge" && what != "histogram" && what != "summary" &&
                    what != "untyped")
                    fail("unknown TYPE '" + what + "'");
                out.types[name] = what;
            }
            continue;
        }
        Sample s;
        std::size_t i = 0;
        if (!isNameStart(line[0])) fail("a sample must start with a metric name");
        while (i < line.size() && isNameChar(line[i])) ++i;
        s.name = line.substr(0, i);
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (i < line.size() && line[i] != '}') {
                const std::size_t start = i;
                if (!isNameStart(line[i]) || line[i] == ':') fail("bad label name");
                while (i < line.size() && isNameChar(line[i]) && line[i] != ':') ++i;
                const std::string label = line.substr(start, i - start);
                if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"')
                    fail("label " + label + " without =\"");
                i += 2;
                std::string value;
                for (;;) {
                    if (i >= line.size()) fail("unterminated label value");
                    const char c = line[i++];
                    if (c == '"') break;
                    if (c == '\\') {
                        if (i >= line.size()) fail("unterminated escape");
                        const char e = line[i++];
                        if (e == 'n')
                            value += '\n';
                        else if (e == '\\' || e == '"')
                            value += e;
                        else
                            fail("bad escape \\" + std::string(1, e));
                    } else {
                        value += c;
                    }
                }
                if (s.labels.count(label)) fail("label " + label + " twice");
                s.labels[label] = value;
                if (i < line.size() && line[i] == ',') ++i;
            }
            if (i >= line.size()) fail("unterminated label set");
            ++i;
        }
        if (i >= line.size() || line[i] != ' ') fail("no space before the value");
        ++i;
        std::string rest = line.substr(i);
        const std::size_t sp = rest.find(' ');
        if (sp != std::string::npos) {  // a timestamp (milliseconds) may follow
            const std::string ts = rest.substr(sp + 1);
            if (ts.empty() || ts.find_first_not_of("-0123456789") != std::string::npos) fail("bad timestamp");
            rest = rest.substr(0, sp);
        }
        s.value = parseValue(rest);
        const std::string family = familyOf(s.name);
        if (!out.types.count(family)) fail("sample of " + s.name + " without a TYPE before it");
        if (seenSamplesOf.count(family) && lastFamily != family) fail("samples of " + family + " are not together");
        seenSamplesOf.insert(family);
        lastFamily = family;
        if (out.types.at(family) == "counter" && s.value < 0) fail("a negative counter");
        out.samples.push_back(std::move(s));
    }

    // Histograms: per series, buckets ascending in le and cumulative, +Inf last and equal to _count.
    for (const auto& [family, type] : out.types) {
        if (type != "histogram") continue;
        std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
        for (const auto& s : out.samples) {
            if (s.name != family + "_bucket") continue;
            auto labels = s.labels;
            if (!labels.count("le")) throw std::runtime_error(family + "_bucket without le");
            const std::string le = labels.at("le");
            labels.erase("le");
            buckets[labels].push_back({le == "+Inf" ? INFINITY : std::strtod(le.c_str(), nullptr), s.value});
        }
        for (const auto& [labels, list] : buckets) {
            for (std::size_t k = 1; k < list.size(); ++k)
                if (!(list[k - 1].first < list[k].first) || list[k - 1].second > list[k].second)
                    throw std::runtime_error(family + ": buckets not ascending and cumulative");
            if (list.empty() || !std::isinf(list.back().first)) throw std::runtime_error(family + ": no +Inf bucket");
            if (out.value(family + "_count", labels) != list.back().second)
                throw std::runtime_error(family + ": _count differs from the +Inf bucket");
            out.value(family + "_sum", labels);
        }
    }
    return out;
}

}  // namespace tradehost::test
