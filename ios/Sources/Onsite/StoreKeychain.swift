import Foundation
import Security

/// The store's key: 32 random bytes made once and kept in the Keychain,
/// readable after the phone's first unlock since boot (so a background sync
/// can open the store) and on this device only (never in a backup, never
/// restored to another phone). Pass it to `OnsiteTechnician.open`.
public enum StoreKeychain {
    public static let keySize = 32
    public static let service = "app.onsite.store-key"

    /// The key for `account` (e.g. the technician's id), made on first use.
    public static func key(account: String) throws -> Data {
        if let existing = try read(account: account) { return existing }
        var bytes = [UInt8](repeating: 0, count: keySize)
        let random = SecRandomCopyBytes(kSecRandomDefault, keySize, &bytes)
        guard random == errSecSuccess else { throw StoreKeychainError.random(random) }
        let key = Data(bytes)
        let add: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            kSecValueData as String: key,
        ]
        let added = SecItemAdd(add as CFDictionary, nil)
        if added == errSecDuplicateItem, let other = try read(account: account) { return other }
        guard added == errSecSuccess else { throw StoreKeychainError.keychain(added) }
        return key
    }

    /// Deletes the key for `account`: after a remote wipe (`onWiped`), so
    /// nothing left of the store could ever be opened again. Deleting a key
    /// that is not there is not an error.
    public static func delete(account: String) throws {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
        ]
        let status = SecItemDelete(query as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw StoreKeychainError.keychain(status)
        }
    }

    static func read(account: String) throws -> Data? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecReturnData as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess:
            guard let data = item as? Data, data.count == keySize else { throw StoreKeychainError.malformed }
            return data
        case errSecItemNotFound:
            return nil
        default:
            throw StoreKeychainError.keychain(status)
        }
    }
}

public enum StoreKeychainError: Error {
    case random(OSStatus)
    case keychain(OSStatus)
    case malformed
}
