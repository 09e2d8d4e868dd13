// Child processes for end-to-end tests: a program with its output on pipes,
// killed and reaped with the object, and the OCR test server (the stand-in
// VLM endpoint of the ask and eval tests) and the scripted advisor of the
// search tests, each started on a free port.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace glyph::test {

// Reads a pipe until a newline or `seconds` pass.
inline std::string read_line(int fd, double seconds) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        char c;
        if (read(fd, &c, 1) != 1) break;
        if (c == '\n') return line;
        line.push_back(c);
    }
    return line;
}

// A child process with its stdout (and optionally stderr) on pipes; killed
// and reaped when the object dies.
class Child {
public:
    explicit Child(const std::vector<std::string>& argv) {
        int out[2], err[2];
        if (pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe failed");
        pid_ = fork();
        if (pid_ == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
            dup2(out[1], 1);
            dup2(err[1], 2);
            close(out[0]);
            close(err[0]);
            std::vector<char*> args;
            for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            execv(args[0], args.data());
            _exit(127);
        }
        close(out[1]);
        close(err[1]);
        out_ = out[0];
        err_ = err[0];
    }
    ~Child() {
        if (pid_ > 0 && !reaped_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        close(out_);
        close(err_);
    }
    int out() const { return out_; }
    int err() const { return err_; }
    pid_t pid() const { return pid_; }
    bool running() {
        if (reaped_) return false;
        int status;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            reaped_ = true;
            status_ = status;
        }
        return !reaped_;
    }
    // Exit code after waiting at most `seconds`; -1 if still running (then killed).
    int wait(double seconds) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (running() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (!reaped_) return -1;
        return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
    }

private:
    pid_t pid_ = -1;
    int out_ = -1, err_ = -1;
    bool reaped_ = false;
    int status_ = 0;
};

// Starts a test server whose first line of output is "... listening on
// HOST:PORT" (within `seconds`) and returns the port.
inline int start_listening(std::unique_ptr<Child>& child, const std::vector<std::string>& argv, const std::string& name,
                           double seconds) {
    child = std::make_unique<Child>(argv);
    const std::string line = read_line(child->out(), seconds);
    const size_t colon = line.rfind(':');
    if (line.find("listening on") == std::string::npos || colon == std::string::npos)
        throw std::runtime_error(name + " did not start: '" + line + "'");
    return std::stoi(line.substr(colon + 1));
}

#ifdef GLYPH_OCR_TEST_SERVER
class OcrTestServer {
public:
    explicit OcrTestServer(std::vector<std::string> extra = {}) {
        std::vector<std::string> argv = {GLYPH_OCR_TEST_SERVER, "--port", "0"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        // The first start loads Tesseract and the tokenizer.
        port_ = start_listening(child_, argv, "ocr_test_server", 120);
    }
    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
    int port() const { return port_; }

private:
    std::unique_ptr<Child> child_;
    int port_ = 0;
};
#endif

#ifdef GLYPH_ADVISOR_TEST_SERVER
// The scripted advisor (tests/tools/advisor_test_server.cpp): each chat
// request gets the next reply of the JSON list in `script_path`.
class AdvisorTestServer {
public:
    explicit AdvisorTestServer(const std::string& script_path, std::vector<std::string> extra = {}) {
        std::vector<std::string> argv = {GLYPH_ADVISOR_TEST_SERVER, "--port", "0", "--script", script_path};
        argv.insert(argv.end(), extra.begin(), extra.end());
        port_ = start_listening(child_, argv, "advisor_test_server", 30);
    }
    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
    int port() const { return port_; }

private:
    std::unique_ptr<Child> child_;
    int port_ = 0;
};
#endif

}  // namespace glyph::test
