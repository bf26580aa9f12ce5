// XCTest suite of the OmegaVerify package: `swift test` on a machine with a Swift toolchain,
// after `make build-swift` (or cargo build -p omega-swift --release and copying
// libomega_swift.a into lib/). It runs the project's cross-language vectors
// (tests/vectors/*.json in the repository) and checks the error enum and the report.
//
// Written against the generated API in Sources/OmegaVerify/OmegaVerify.swift. This file is not
// compiled on the project's Linux build machine (no Swift toolchain there); the same calls are
// tested there through the same C ABI by bindings/swift/tests (pytest).

import Foundation
import OmegaVerify
import XCTest

final class OmegaVerifyTests: XCTestCase {
    static let key1 = "RWQBb21lZ2EAAYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c"
    static let key2 = "RWQCb21lZ2EAAoE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU"

    /// tests/vectors of the repository; this file is
    /// bindings/swift/OmegaVerify/Tests/OmegaVerifyTests/OmegaVerifyTests.swift.
    static let vectorsDir: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<6 {
            url = url.deletingLastPathComponent()
        }
        return url.appendingPathComponent("tests").appendingPathComponent("vectors")
    }()

    // MARK: - helpers

    func loadCases(_ file: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: Self.vectorsDir.appendingPathComponent(file))
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(doc["cases"] as? [[String: Any]])
        XCTAssertFalse(cases.isEmpty, "\(file): no cases")
        return cases
    }

    func hexData(_ hex: String) -> Data {
        var out = Data()
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    func hexString(_ data: Data) -> String {
        data.map { String(format: "%02x", $0) }.joined()
    }

    func makeTempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("omega-verify-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    /// Why the vector's files cannot all exist in a directory (empty, absolute, `.`/`..` or
    /// over-long components, duplicates), or nil. Such cases are counted, not run.
    func unrepresentable(_ files: [[String: Any]]) -> String? {
        var seen = Set<String>()
        for f in files {
            let path = f["path"] as? String ?? ""
            if path.isEmpty { return "empty path" }
            if path.hasPrefix("/") { return "absolute path" }
            for c in path.split(separator: "/", omittingEmptySubsequences: false) {
                if c.isEmpty || c == "." || c == ".." { return "component \(c)" }
                if c.utf8.count > 255 { return "component longer than NAME_MAX" }
            }
            if !seen.insert(path).inserted { return "duplicate path" }
        }
        return nil
    }

    func write(_ files: [[String: Any]], to root: URL) throws {
        for f in files {
            let path = try XCTUnwrap(f["path"] as? String)
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let bytes: Data
            if let text = f["text"] as? String {
                bytes = Data(text.utf8)
            } else {
                bytes = hexData(try XCTUnwrap(f["hex"] as? String))
            }
            try bytes.write(to: url)
            let executable = (f["executable"] as? Bool) ?? false
            try FileManager.default.setAttributes(
                [.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: url.path)
        }
    }

    /// The DESIGN code of an error thrown by OmegaVerify.
    func code(of error: Error) -> String? {
        (error as? OmegaError)?.code()
    }

    /// The signed package of tests/vectors/package.json case "digest_and_key", written out.
    func signedPackage() throws -> (URL, String) {
        let c = try XCTUnwrap(try loadCases("package.json").first { $0["name"] as? String == "digest_and_key" })
        let root = try makeTempDir().appendingPathComponent("left-pad")
        try write(try XCTUnwrap(c["files"] as? [[String: Any]]), to: root)
        let pins = try XCTUnwrap(c["pins"] as? [String: Any])
        return (root, try XCTUnwrap(pins["digest"] as? String))
    }

    // MARK: - hashing and signatures

    func testBlake2b256() {
        XCTAssertEqual(
            hexString(blake2b256(data: Data("abc".utf8))),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")
        XCTAssertEqual(blake2b256(data: Data()).count, 32)
    }

    func testVerifyEd25519Rfc8032Test1() {
        let pk = hexData("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let sig = hexData(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        XCTAssertTrue(verifyEd25519(publicKey: pk, message: Data(), signature: sig))
        XCTAssertFalse(verifyEd25519(publicKey: pk, message: Data("x".utf8), signature: sig))
        XCTAssertFalse(verifyEd25519(publicKey: pk.prefix(31), message: Data(), signature: sig))
    }

    // MARK: - vectors

    func testTreeVectorsThroughDigestDir() throws {
        var ran = 0
        var notRepresentable = 0
        for (i, c) in try loadCases("tree.json").enumerated() {
            let name = c["name"] as? String ?? "?"
            let files = try XCTUnwrap(c["files"] as? [[String: Any]])
            let expect = try XCTUnwrap(c["expect"] as? [String: Any])
            if unrepresentable(files) != nil {
                XCTAssertNotNil(expect["error"], "\(name): a success case must be representable")
                notRepresentable += 1
                continue
            }
            let root = try makeTempDir().appendingPathComponent("tree\(i)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try write(files, to: root)
            if let wanted = expect["error"] as? String {
                XCTAssertThrowsError(try digestDir(path: root.path), name) { error in
                    XCTAssertEqual(self.code(of: error), wanted, name)
                }
            } else {
                XCTAssertEqual(try digestDir(path: root.path), expect["digest"] as? String, name)
            }
            ran += 1
        }
        XCTAssertEqual(notRepresentable, 8)
        XCTAssertGreaterThanOrEqual(ran, 12)
    }

    func testPackageVectorsThroughCheckPackage() throws {
        for (i, c) in try loadCases("package.json").enumerated() {
            let name = c["name"] as? String ?? "?"
            let pins = try XCTUnwrap(c["pins"] as? [String: Any])
            let expect = try XCTUnwrap(c["expect"] as? [String: Any])
            XCTAssertEqual(pins["legacy"] as? Bool, false, name)
            let root = try makeTempDir().appendingPathComponent("pkg\(i)")
            try write(try XCTUnwrap(c["files"] as? [[String: Any]]), to: root)
            let call = {
                try checkPackage(
                    path: root.path,
                    digest: pins["digest"] as? String,
                    keys: pins["keys"] as? [String] ?? [],
                    threshold: UInt32((pins["threshold"] as? Int) ?? 0))
            }
            if let wanted = expect["error"] as? String {
                XCTAssertThrowsError(try call(), name) { error in
                    XCTAssertEqual(self.code(of: error), wanted, name)
                    guard let e = error as? OmegaError else { return XCTFail(name) }
                    let problems = e.report?.problems.map { [$0.code, $0.path ?? "null"] } ?? []
                    let expected = (expect["problems"] as? [[String: Any]] ?? []).map {
                        [$0["code"] as? String ?? "", $0["path"] as? String ?? "null"]
                    }
                    XCTAssertEqual(problems, expected, name)
                }
            } else {
                let report = try call()
                XCTAssertTrue(report.ok, name)
                XCTAssertEqual(report.tree, expect["tree"] as? String, name)
                XCTAssertEqual(report.signedBy, expect["signed_by"] as? [String], name)
            }
        }
    }

    func testMinisignVectorsThroughVerifyFile() throws {
        for (i, c) in try loadCases("minisign.json").enumerated() {
            let name = c["name"] as? String ?? "?"
            let expect = try XCTUnwrap(c["expect"] as? [String: Any])
            let dir = try makeTempDir()
            let message = dir.appendingPathComponent("message\(i)")
            try hexData(try XCTUnwrap(c["message_hex"] as? String)).write(to: message)
            let signature = dir.appendingPathComponent("message\(i).minisig")
            try Data(try XCTUnwrap(c["signature"] as? String).utf8).write(to: signature)
            let call = {
                try verifyFile(
                    path: message.path,
                    publicKey: c["public_key"] as? String ?? "",
                    legacy: (c["legacy"] as? Bool) ?? false)
            }
            if let wanted = expect["error"] as? String {
                XCTAssertThrowsError(try call(), name) { error in
                    XCTAssertEqual(self.code(of: error), wanted, name)
                }
            } else {
                XCTAssertEqual(try call(), expect["trusted_comment"] as? String, name)
            }
        }
    }

    // MARK: - reports and errors

    func testReportOfASignedPackage() throws {
        let (root, digest) = try signedPackage()
        let report = try checkPackage(path: root.path, digest: digest, keys: [Self.key1])
        XCTAssertTrue(report.ok)
        XCTAssertEqual(report.package, "left-pad")
        XCTAssertEqual(report.version, "1.3.0")
        XCTAssertEqual(report.sequence, 7)
        XCTAssertEqual(report.tree, digest)
        XCTAssertEqual(report.signedBy, [Self.key1])
        XCTAssertEqual(report.threshold, 1)
        XCTAssertEqual(report.files, 4)
        XCTAssertEqual(report.signatures.first?.keyId, "01006167656D6F01")
        let json = try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any]
        XCTAssertEqual(json?["package"] as? String, "left-pad")
    }

    func testFailedCheckThrowsWithTheWholeReport() throws {
        let (root, digest) = try signedPackage()
        try Data("tampered\n".utf8).write(to: root.appendingPathComponent("lib/a.js"))
        try FileManager.default.removeItem(at: root.appendingPathComponent("index.js"))
        do {
            _ = try checkPackage(path: root.path, digest: digest, keys: [Self.key1], threshold: 1)
            XCTFail("a tampered package passed")
        } catch let error as OmegaError {
            guard case let .FileMissing(detail, report) = error else {
                return XCTFail("expected FileMissing, got \(error)")
            }
            XCTAssertTrue(detail.contains("index.js"), detail)
            XCTAssertEqual(report?.problems.map { $0.code }, ["FILE_MISSING", "FILE_CHANGED"])
            XCTAssertEqual(report?.problems.map { $0.path }, ["index.js", "lib/a.js"])
            XCTAssertEqual(error.code(), "FILE_MISSING")
            XCTAssertTrue("\(error)".hasPrefix("FILE_MISSING: "), "\(error)")
            XCTAssertTrue(error.localizedDescription.hasPrefix("FILE_MISSING: "), error.localizedDescription)
        }
    }

    func testInputErrors() throws {
        let (root, _) = try signedPackage()
        XCTAssertThrowsError(try checkPackage(path: root.path)) { error in
            XCTAssertEqual(self.code(of: error), "KEY_NOT_TRUSTED")
        }
        XCTAssertThrowsError(try checkPackage(path: root.path, digest: "sha256:00")) { error in
            XCTAssertEqual(self.code(of: error), "MALFORMED")
        }
        XCTAssertThrowsError(try checkPackage(path: root.path, keys: [Self.key2])) { error in
            XCTAssertEqual(self.code(of: error), "KEY_NOT_TRUSTED")
        }
        XCTAssertThrowsError(try digestDir(path: root.appendingPathComponent("nope").path)) { error in
            XCTAssertEqual(self.code(of: error), "NOT_FOUND")
        }
        XCTAssertThrowsError(try verifyFile(path: root.appendingPathComponent("index.js").path, publicKey: Self.key1)) { error in
            XCTAssertEqual(self.code(of: error), "NOT_FOUND")  // no index.js.minisig
        }
    }
}
