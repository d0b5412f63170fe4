package app.onsite

import java.io.File
import java.io.FileOutputStream
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * Wraps the store key with a key that never leaves the platform's keystore.
 * On a phone: [AndroidKeystoreKey.wrapper] (src/android); on the JVM suite: a
 * software AES key.
 */
interface KeyWrapper {
    fun wrap(key: ByteArray): ByteArray
    fun unwrap(wrapped: ByteArray): ByteArray
}

/**
 * The store's key: 32 random bytes made once, kept on disk only wrapped by
 * the keystore, passed to [Onsite.open]. Wipe the returned array after open.
 */
object StoreKeys {
    const val SIZE = 32

    fun getOrCreate(wrappedFile: File, wrapper: KeyWrapper): ByteArray {
        if (wrappedFile.exists()) return wrapper.unwrap(wrappedFile.readBytes())
        val key = ByteArray(SIZE).also { SecureRandom().nextBytes(it) }
        // Written whole or not at all: a new file, synced, then renamed.
        val tmp = File(wrappedFile.path + ".tmp")
        FileOutputStream(tmp).use { out ->
            out.write(wrapper.wrap(key))
            out.fd.sync()
        }
        check(tmp.renameTo(wrappedFile)) { "could not save the wrapped store key" }
        return key
    }

    /**
     * Deletes the wrapped key (after a remote wipe, from [Onsite.onWiped]): with
     * it gone nothing left of the store could be opened again, even if a file
     * survived. Returns whether no key is left.
     */
    fun delete(wrappedFile: File): Boolean {
        File(wrappedFile.path + ".tmp").delete()
        return !wrappedFile.exists() || wrappedFile.delete()
    }
}

/** AES-256-GCM wrapping: the cipher's random 12-byte IV, then ciphertext and tag. */
class AesGcmKeyWrapper(private val secretKey: () -> SecretKey) : KeyWrapper {
    override fun wrap(key: ByteArray): ByteArray {
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, secretKey())
        return cipher.iv + cipher.doFinal(key)
    }

    override fun unwrap(wrapped: ByteArray): ByteArray {
        require(wrapped.size > IV) { "not a wrapped store key" }
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, secretKey(), GCMParameterSpec(128, wrapped, 0, IV))
        return cipher.doFinal(wrapped, IV, wrapped.size - IV)
    }

    private companion object {
        const val IV = 12
    }
}
